"""Build the typed model from a composed YAML tree (one flow file).

Rules: table-driven by `ivr.engine.fields`; every field value goes through the parser of its kind
(`PARSERS`), which records a located error and returns None when the value is wrong. A node that
cannot be built is replaced by a placeholder (so references to it still resolve) and the file is
marked `broken` (graph-wide checks are skipped to avoid cascades of follow-up errors).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.engine import model as m
from ivr.engine.errors import did_you_mean
from ivr.engine.fields import (
    AUDIO_FIELDS,
    CASE_FIELDS,
    COMPARE_OPS,
    CONDITION_SUBJECTS,
    DEFAULTS_FIELDS,
    FLOW_FIELDS,
    NODE_FIELDS,
    OPTION_FIELDS,
    PRIORITIES,
    TTS_FIELDS,
    WINDOW_FIELDS,
    base_kind,
)
from ivr.engine.yamlread import Reader, describe, pos_of

MAX_NODES = 20_000
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
FLOW_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
WORD = re.compile(r"[a-z][a-z0-9_]*\Z")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
DTMF = frozenset("0123456789*#")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
}

Parser = Callable[[Reader, Node, str, str], Any]


# ---- small kinds ------------------------------------------------------------------------------


def p_text(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.text(n, where, fld)


def p_ident(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, IDENT, "a name of letters, digits and _")


def p_flow_name(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, FLOW_NAME, "a lower-case name of letters, digits and _")


def p_word(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, WORD, "a lower-case word of letters, digits and _")


def p_prefix(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value and not IDENT.match(value):
        r.fail(where, n, fld, "a name prefix of letters, digits and _")
        return None
    return value


def p_language(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, LANGUAGE, "a language tag such as zh-CN or en")


def p_bool(r: Reader, n: Node, where: str, fld: str) -> bool | None:
    return r.boolean(n, where, fld)


def p_seconds(r: Reader, n: Node, where: str, fld: str) -> float | None:
    return r.number(n, where, fld, 0.1, 86400)


def p_record_seconds(r: Reader, n: Node, where: str, fld: str) -> float | None:
    return r.number(n, where, fld, 1, 3600)


def p_confidence(r: Reader, n: Node, where: str, fld: str) -> float | None:
    return r.number(n, where, fld, 0, 1)


def p_count(r: Reader, n: Node, where: str, fld: str) -> int | None:
    return r.integer(n, where, fld, 0, 10)


def p_digits(r: Reader, n: Node, where: str, fld: str) -> int | None:
    return r.integer(n, where, fld, 1, 64)


def p_dtmf(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and (len(value) != 1 or value not in DTMF):
        r.fail(where, n, fld, 'one key of 0-9, * or # (quote it: "1")')
        return None
    return value


def p_terminator(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in ("", "#", "*"):
        r.fail(where, n, fld, '"#", "*" or "" (none)')
        return None
    return value


def p_decimal_key(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in ("*", "#"):
        r.fail(where, n, fld, '"*" or "#"')
        return None
    return value


def p_mask(r: Reader, n: Node, where: str, fld: str) -> str | None:
    if isinstance(n, ScalarNode) and n.tag.endswith(":bool"):
        return "full" if r.boolean(n, where, fld) else ""
    if isinstance(n, ScalarNode) and n.value == "partial":
        return "partial"
    r.fail(where, n, fld, "true, false or partial")
    return None


def p_regex(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is None:
        return None
    try:
        re.compile(value)
    except re.error as exc:
        r.error(n, f"{where}: 'pattern' is not a valid regular expression ({exc})")
        return None
    return value


def p_priority(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in PRIORITIES:
        r.fail(where, n, fld, "normal, vip or emergency")
        return None
    return value


def p_text_list(r: Reader, n: Node, where: str, fld: str) -> tuple[str, ...] | None:
    items = r.text_list(n, where, fld)
    return None if items is None else tuple(v for v, _ in items)


def p_languages(r: Reader, n: Node, where: str, fld: str) -> tuple[str, ...] | None:
    items = r.text_list(n, where, fld)
    if items is None:
        return None
    if not items:
        r.fail(where, n, fld, "a non-empty list of language tags")
        return None
    for value, item in items:
        if not LANGUAGE.match(value):
            r.fail(where, item, fld, "a list of language tags such as zh-CN or en")
            return None
    return tuple(v for v, _ in items)


# ---- mappings ---------------------------------------------------------------------------------


def _mapping(r: Reader, n: Node, where: str, fld: str) -> list[tuple[str, Node, Node]] | None:
    if not isinstance(n, MappingNode):
        r.fail(where, n, fld, "a mapping")
        return None
    return r.pairs(n, where)


def p_params(r: Reader, n: Node, where: str, fld: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        text = r.scalar_text(value, where, f"{fld}.{key}")
        if text is not None:
            out[key] = text
    return out if isinstance(n, MappingNode) else None


def p_vars(r: Reader, n: Node, where: str, fld: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for key, key_node, value in _mapping(r, n, where, fld) or []:
        if not IDENT.match(key):
            r.error(key_node, f"{where}: variable name '{key}' must be letters, digits and _")
            continue
        text = r.scalar_text(value, where, f"{fld}.{key}")
        if text is not None:
            out[key] = text
    return out if isinstance(n, MappingNode) else None


def p_add(r: Reader, n: Node, where: str, fld: str) -> dict[str, int] | None:
    out: dict[str, int] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        number = r.integer(value, where, f"{fld}.{key}", -1000, 1000)
        if number is not None:
            out[key] = number
    return out if isinstance(n, MappingNode) else None


def p_skills(r: Reader, n: Node, where: str, fld: str) -> dict[str, int] | None:
    out: dict[str, int] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        level = r.integer(value, where, f"skills.{key}", 1, 5)
        if level is not None:
            out[key] = level
    return out if isinstance(n, MappingNode) else None


def p_results(r: Reader, n: Node, where: str, fld: str) -> dict[str, tuple[str, m.Pos]] | None:
    out: dict[str, tuple[str, m.Pos]] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        target = p_ident(r, value, where, f"results.{key}")
        if target is not None:
            out[key] = (target, pos_of(value))
    return out if isinstance(n, MappingNode) else None


def p_phrases(r: Reader, n: Node, where: str, fld: str) -> dict[str, tuple[str, ...]] | None:
    out: dict[str, tuple[str, ...]] = {}
    for lang, _, value in _mapping(r, n, where, fld) or []:
        items = r.text_list(value, where, f"phrases.{lang}")
        if items is not None:
            out[lang] = tuple(v for v, _ in items)
    return out if isinstance(n, MappingNode) else None


def p_prompt(r: Reader, n: Node, where: str, fld: str) -> m.PromptDef | None:
    contents: dict[str, m.Content] = {}
    marks: dict[str, m.Pos] = {}
    pairs = _mapping(r, n, where, fld)
    if pairs is None:
        return None
    for lang, _, value in pairs:
        content = _content(r, value, where, f"{fld}.{lang}")
        if content is not None:
            contents[lang] = content
            marks[lang] = pos_of(value)
    return m.PromptDef(contents, pos_of(n), marks)


def _content(r: Reader, n: Node, where: str, fld: str) -> m.Content | None:
    if isinstance(n, ScalarNode):
        text = r.text(n, where, fld)
        return None if text is None else m.TtsContent(text)
    is_audio = isinstance(n, MappingNode) and any(k.value == "audio" for k, _ in n.value)
    allowed = AUDIO_FIELDS if is_audio else TTS_FIELDS
    found = r.fields(n, where, allowed, what="a text, {text: ...} or {audio: ...}")
    if found is None:
        return None
    values = {k: r.text(v, where, f"{fld}.{k}") for k, (_, v) in found.items()}
    if is_audio:
        audio = values.get("audio")
        return None if audio is None else m.AudioContent(audio)
    text = values.get("text")
    return None if text is None else m.TtsContent(text, values.get("voice"))


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


def p_condition(r: Reader, n: Node, where: str, fld: str) -> m.Condition | None:
    if not isinstance(n, MappingNode):
        r.fail(where, n, fld, "a condition mapping")
        return None
    pairs = r.pairs(n, where)
    subjects = [(k, kn, v) for k, kn, v in pairs if k in CONDITION_SUBJECTS]
    if len(subjects) != 1:
        named = ", ".join(k for k, _, _ in subjects)
        problem = (
            f"condition has more than one subject ({named})"
            if subjects
            else "condition needs one of " + ", ".join(CONDITION_SUBJECTS)
        )
        r.error(n, f"{where}: {problem}")
        return None
    subject, _, value = subjects[0]
    rest = [(k, kn, v) for k, kn, v in pairs if k != subject]
    if subject in ("var", "attribute"):
        return _compare(r, n, where, subject, value, rest)
    for key, key_node, _ in rest:
        r.error(key_node, f"{where}: unknown field '{key}' in condition")
    if rest:
        return None
    return _simple_condition(r, n, where, subject, value)


def _simple_condition(
    r: Reader, n: Node, where: str, subject: str, value: Node
) -> m.Condition | None:
    at = pos_of(n)
    if subject == "language":
        lang = p_language(r, value, where, "language")
        return None if lang is None else m.LanguageIs(lang, at)
    if subject in ("business_hours", "market_open"):
        flag = r.boolean(value, where, subject)
        if flag is None:
            return None
        return m.BusinessHours(flag, at) if subject == "business_hours" else m.MarketOpen(flag, at)
    if subject == "not":
        part = p_condition(r, value, where, "not")
        return None if part is None else m.Not(part, at)
    if not isinstance(value, SequenceNode) or not value.value:
        r.fail(where, value, subject, "a non-empty list of conditions")
        return None
    parts = [p_condition(r, item, where, subject) for item in value.value]
    if any(p is None for p in parts):
        return None
    clean = tuple(p for p in parts if p is not None)
    return m.AllOf(clean, at) if subject == "all" else m.AnyOf(clean, at)


def _compare(
    r: Reader,
    n: Node,
    where: str,
    subject: str,
    name_node: Node,
    rest: list[tuple[str, Node, Node]],
) -> m.Condition | None:
    name = p_ident(r, name_node, where, subject)
    ops = [(k, kn, v) for k, kn, v in rest if k in COMPARE_OPS]
    for key, key_node, _ in rest:
        if key not in COMPARE_OPS:
            hint = did_you_mean(key, COMPARE_OPS)
            r.error(key_node, f"{where}: unknown field '{key}' in condition{hint}")
    if len(ops) != 1:
        r.error(n, f"{where}: condition on '{name}' needs one of " + ", ".join(COMPARE_OPS))
        return None
    op, _, value_node = ops[0]
    value = _compare_value(r, op, value_node, where)
    if name is None or value is None or len(rest) != 1:
        return None
    return m.Compare(subject, name, op, value, pos_of(n))  # type: ignore[arg-type]


def _compare_value(r: Reader, op: str, n: Node, where: str) -> Any:
    if op in ("in", "not_in"):
        if not isinstance(n, SequenceNode):
            r.fail(where, n, op, "a list")
            return None
        items = [r.scalar_text(item, where, op) for item in n.value]
        return None if any(i is None for i in items) else tuple(items)
    if op in ("gt", "ge", "lt", "le"):
        return r.number(n, where, op, -1e15, 1e15)
    if op == "exists":
        return r.boolean(n, where, op)
    return r.scalar_text(n, where, op)


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
        windows.append(m.Window(values["days"], values["open"], values["close"]))
    return tuple(windows)


def p_days(r: Reader, n: Node, where: str, fld: str) -> frozenset[int] | None:
    items = r.text_list(n, where, fld)
    if items is None:
        return None
    days = set()
    for value, item in items:
        if value not in DAYS:
            r.fail(where, item, fld, "a day: " + " ".join(DAYS))
            return None
        days.add(DAYS.index(value))
    return frozenset(days)


def p_hhmm(r: Reader, n: Node, where: str, fld: str) -> int | None:
    value = r.text(n, where, fld)
    match = HHMM.match(value) if value is not None else None
    if match is None:
        if value is not None:
            r.fail(where, n, fld, 'a time "HH:MM"')
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


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
