"""Parse a flow's `when:` conditions into the condition model (`ivr.engine.model`).

Role: a condition mapping has exactly one subject: `language`, `business_hours`,
`market_open`, `not`, `all`, `any` (a list of conditions), or `var`/`attribute` with one
comparison (`eq`, `ne`, `in`, `not_in`, `gt`, `ge`, `lt`, `le`, `exists`, ...). Errors are
located and suggest the nearest known field.

Rules: pure; a bad part makes the whole condition None (the error is already recorded).
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node, SequenceNode

from ivr.engine import model as m
from ivr.engine.build_kinds import p_ident, p_language
from ivr.engine.errors import did_you_mean
from ivr.engine.fields import COMPARE_OPS, CONDITION_SUBJECTS
from ivr.engine.yamlread import Reader, pos_of


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
