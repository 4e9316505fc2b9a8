"""Build the typed model from a composed YAML tree (one flow file).

Rules: table-driven by `ivr.engine.fields`; every field value goes through the parser of its kind
(`PARSERS`: simple kinds in `build_kinds`, conditions in `build_conditions`, the structured kinds
here), which records a located error and returns None when the value is wrong. A node that
cannot be built is replaced by a placeholder (so references to it still resolve) and the file is
marked `broken` (graph-wide checks are skipped to avoid cascades of follow-up errors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.engine import model as m
from ivr.engine.build_conditions import p_condition
from ivr.engine.build_kinds import (
    IDENT,
    p_add,
    p_bool,
    p_confidence,
    p_count,
    p_days,
    p_decimal_key,
    p_digits,
    p_dtmf,
    p_flow_name,
    p_hhmm,
    p_hours_calendar,
    p_ident,
    p_language,
    p_languages,
    p_mask,
    p_params,
    p_phrases,
    p_prefix,
    p_priority,
    p_prompt,
    p_record_seconds,
    p_regex,
    p_results,
    p_seconds,
    p_skills,
    p_terminator,
    p_text,
    p_text_list,
    p_vars,
    p_word,
)
from ivr.engine.errors import did_you_mean
from ivr.engine.fields import (
    CASE_FIELDS,
    DEFAULTS_FIELDS,
    FLOW_FIELDS,
    NODE_FIELDS,
    OPTION_FIELDS,
    WINDOW_FIELDS,
    base_kind,
)
from ivr.engine.yamlread import Reader, describe, pos_of

MAX_NODES = 20_000
NODE_CLASSES: dict[str, type[m.NodeBase]] = {
    "say": m.SayNode,
    "menu": m.MenuNode,
    "collect": m.CollectNode,
    "branch": m.BranchNode,
    "lookup": m.LookupNode,
    "queue": m.QueueNode,
    "record": m.RecordNode,
    "goto": m.GotoNode,
    "set": m.SetNode,
    "language": m.LanguageNode,
    "transfer": m.TransferNode,
    "hangup": m.HangupNode,
    "result": m.ResultNode,
}

Parser = Callable[[Reader, Node, str, str], Any]


# ---- structured kinds -------------------------------------------------------------------------


def read_fields(
    r: Reader, n: Node, where: str, allowed: dict[str, str], what: str = "a mapping"
) -> tuple[dict[str, Any], dict[str, m.Pos], bool] | None:
    """Parse every field by its kind: (values, marks, complete). None if `n` is no mapping."""
    found = r.fields(n, where, allowed, what)
    if found is None:
        return None
    values: dict[str, Any] = {}
    marks: dict[str, m.Pos] = {}
    complete = all(name in found for name, kind in allowed.items() if kind.endswith("!"))
    for name, (_, value_node) in found.items():
        kind = base_kind(allowed[name])
        if kind == "type":
            continue
        value = PARSERS[kind](r, value_node, where, name)
        if value is None:
            complete = False
            continue
        values[name] = value
        marks[name] = pos_of(value_node)
    return values, marks, complete


def p_options(r: Reader, n: Node, where: str, fld: str) -> tuple[m.Option, ...] | None:
    if not isinstance(n, SequenceNode) or not n.value:
        r.fail(where, n, fld, "a non-empty list of options")
        return None
    options: list[m.Option] = []
    for item in n.value:  # a bad option is reported and left out; the others are still checked
        read = read_fields(r, item, where, OPTION_FIELDS, what="an option mapping")
        if read is None or "next" not in read[0]:
            continue
        values, marks, _ = read
        named = {str(k.value) for k, _ in item.value} if isinstance(item, MappingNode) else set()
        if not named & {"key", "phrases"}:
            r.error(item, f"{where}: an option needs a 'key' or 'phrases'")
            continue
        options.append(m.Option(pos=pos_of(item), marks=marks, **values))
    return tuple(options) or None


def p_cases(r: Reader, n: Node, where: str, fld: str) -> tuple[m.Case, ...] | None:
    if not isinstance(n, SequenceNode) or not n.value:
        r.fail(where, n, fld, "a non-empty list of cases")
        return None
    cases: list[m.Case] = []
    for item in n.value:
        read = read_fields(r, item, where, CASE_FIELDS, what="a case mapping")
        if read is None or not read[2]:
            continue
        values, marks, _ = read
        cases.append(m.Case(values["when"], values["next"], pos_of(item), marks))
    return tuple(cases) or None


def p_hours(r: Reader, n: Node, where: str, fld: str) -> tuple[m.Window, ...] | None:
    if not isinstance(n, SequenceNode) or not n.value:
        r.fail(where, n, fld, "a non-empty list of {days, open, close}")
        return None
    windows = []
    for item in n.value:
        read = read_fields(r, item, "business_hours", WINDOW_FIELDS)
        if read is None or not read[2]:
            return None
        values = read[0]
        window = m.Window(values["days"], values["open"], values["close"], values.get("calendar"))
        windows.append(window)
    return tuple(windows)


def p_defaults(r: Reader, n: Node, where: str, fld: str) -> m.Defaults | None:
    read = read_fields(r, n, "defaults", DEFAULTS_FIELDS)
    if read is None:
        return None
    return m.Defaults(marks=read[1], **read[0])


def p_unused(r: Reader, n: Node, where: str, fld: str) -> None:
    raise AssertionError(f"kind of {fld} is handled by its owner")  # pragma: no cover


PARSERS: dict[str, Parser] = {
    "text": p_text,
    "ident": p_ident,
    "node": p_ident,
    "flow_name": p_flow_name,
    "word": p_word,
    "prefix": p_prefix,
    "language": p_language,
    "languages": p_languages,
    "bool": p_bool,
    "seconds": p_seconds,
    "record_seconds": p_record_seconds,
    "confidence": p_confidence,
    "count": p_count,
    "digits": p_digits,
    "dtmf": p_dtmf,
    "terminator": p_terminator,
    "decimal_key": p_decimal_key,
    "mask": p_mask,
    "regex": p_regex,
    "priority": p_priority,
    "text_list": p_text_list,
    "params": p_params,
    "vars": p_vars,
    "add": p_add,
    "skills": p_skills,
    "results": p_results,
    "phrases": p_phrases,
    "prompt": p_prompt,
    "options": p_options,
    "cases": p_cases,
    "condition": p_condition,
    "hours": p_hours,
    "days": p_days,
    "hhmm": p_hhmm,
    "hours_calendar": p_hours_calendar,
    "defaults": p_defaults,
    "nodes": p_unused,
}


# ---- nodes and the flow -----------------------------------------------------------------------


def build_node(r: Reader, node_id: str, key: Node, n: Node, defaults: m.Defaults) -> m.Node | None:
    where = f"node '{node_id}'"
    if not isinstance(n, MappingNode):
        r.error(n, f"{where}: expected a mapping with a 'type' (got {describe(n)})")
        return None
    type_node = None
    for k, v in n.value:
        if k.value == "type":
            type_node = v
            break
    if type_node is None:
        r.error(n, f"{where}: missing required field 'type'")
        return None
    type_name = str(type_node.value) if isinstance(type_node, ScalarNode) else ""
    if type_name not in NODE_FIELDS:
        hint = did_you_mean(type_name, NODE_FIELDS)
        r.error(type_node, f"{where}: unknown node type '{type_name}'{hint}")
        return None
    read = read_fields(r, n, where, NODE_FIELDS[type_name])
    if read is None:
        return None
    values, marks, complete = read
    if not complete or not _finish(r, n, where, type_name, values, marks, defaults):
        return None
    return NODE_CLASSES[type_name](id=node_id, pos=pos_of(key), marks=marks, **values)  # type: ignore[return-value]


def _finish(
    r: Reader,
    n: Node,
    where: str,
    type_name: str,
    values: dict[str, Any],
    marks: dict[str, m.Pos],
    d: m.Defaults,
) -> bool:
    """Per-type completion: inherited defaults and cross-field rules. False on error."""
    if type_name in ("menu", "collect"):
        values.setdefault("timeout_s", d.timeout_s)
        values.setdefault("retries", d.retries)
        values.setdefault("no_input_prompt", d.no_input_prompt)
        if d.fallback is None and "fallback" not in values:
            r.error(n, f"{where}: missing required field 'fallback' (set it here or in defaults)")
            return False
        if "fallback" not in values:
            values["fallback"] = d.fallback
            marks["fallback"] = d.marks.get("fallback", m.NOWHERE)
    if type_name == "menu":
        values.setdefault("min_confidence", d.min_confidence)
        values.setdefault("no_match_prompt", d.no_match_prompt)
        values.setdefault("confirm_below", d.confirm_below)
        low, high = values["min_confidence"], values["confirm_below"]
        if high is not None and high <= low:
            r.error(
                n,
                f"{where}: confirm_below ({high}) must be above min_confidence ({low}): speech"
                " between the two is confirmed with a yes/no question",
            )
            return False
    if type_name == "collect":
        return _finish_collect(r, n, where, values, d)
    if type_name == "lookup" and "results" in values:
        results = values["results"]
        values["results"] = {k: target for k, (target, _) in results.items()}
        marks.update({f"results.{k}": at for k, (_, at) in results.items()})
    if type_name == "goto" and "node" not in values and "flow" not in values:
        r.error(n, f"{where}: a goto needs 'node' or 'flow'")
        return False
    if type_name == "queue" and "overflow_after_s" in values and "overflow_queue" not in values:
        r.error(n, f"{where}: 'overflow_after_s' needs 'overflow_queue'")
        return False
    return True


def _finish_collect(r: Reader, n: Node, where: str, values: dict[str, Any], d: m.Defaults) -> bool:
    values.setdefault("interdigit_timeout_s", d.interdigit_timeout_s)
    values["mask"] = values.get("mask") or None
    low, high = values.get("min_digits", 1), values.get("max_digits", 20)
    if low > high:
        r.error(n, f"{where}: min_digits ({low}) is greater than max_digits ({high})")
        return False
    key = values.get("decimal_key")
    if key is not None and key == values.get("terminator", "#"):
        r.error(n, f"{where}: 'decimal_key' '{key}' is also the terminator (use the other key)")
        return False
    return True


def build_nodes(r: Reader, n: Node, defaults: m.Defaults) -> tuple[dict[str, m.Node], bool]:
    if not isinstance(n, MappingNode) or not n.value:
        r.fail("", n, "nodes", "a non-empty mapping of node id to node")
        return {}, True
    if len(n.value) > MAX_NODES:
        r.error(n, f"too many nodes ({len(n.value)}; the limit is {MAX_NODES})")
        return {}, True
    nodes: dict[str, m.Node] = {}
    broken = False
    for node_id, key, value in r.pairs(n, ""):
        if not IDENT.match(node_id):
            r.error(key, f"node id '{node_id}' must be letters, digits and _")
            broken = True
            continue
        built = build_node(r, node_id, key, value, defaults)
        if built is None:
            broken = True
            built = m.HangupNode(id=node_id, pos=pos_of(key), reason="invalid_node")
        nodes[node_id] = built
    return nodes, broken


def build_flow(root: Node, r: Reader) -> tuple[m.Flow | None, bool]:
    """The flow of a composed file, and whether some part was broken."""
    allowed = FLOW_FIELDS
    if not isinstance(root, MappingNode):
        r.error(root, f"the flow file must be a mapping of fields (got {describe(root)})")
        return None, True
    found = r.fields(root, "", allowed)
    if found is None:
        return None, True
    top = {k: v for k, v in found.items() if k != "nodes"}
    values, marks, complete = read_fields(r, _submap(root, top), "", _drop_required(allowed)) or (
        {},
        {},
        False,
    )
    defaults = values.pop("defaults", m.Defaults())
    nodes, broken = build_nodes(r, found["nodes"][1], defaults) if "nodes" in found else ({}, True)
    required = ("flow", "languages", "start")
    if not complete or any(k not in values for k in required) or not nodes:
        return None, True
    hours = values.pop("business_hours", m.DEFAULT_HOURS)
    flow = m.Flow(
        name=values.pop("flow"),
        path=r.path,
        nodes=nodes,
        defaults=defaults,
        business_hours=hours,
        pos=pos_of(root),
        marks=marks,
        **values,
    )
    return flow, broken


def _submap(root: MappingNode, keep: dict[str, tuple[Node, Node]]) -> MappingNode:
    pairs = [(k, v) for k, v in keep.values()]
    return MappingNode(root.tag, pairs, root.start_mark, root.end_mark)


def _drop_required(allowed: dict[str, str]) -> dict[str, str]:
    """Field table without the required marks (already reported on the real mapping)."""
    return {k: base_kind(v) for k, v in allowed.items() if k != "nodes"}
