"""Reading composed YAML nodes into checked Python values, recording located errors.

Rules: never raise for bad input; every problem becomes a `FlowError` at the YAML node's mark
(0-based in PyYAML, so +1). Messages name the field and what was expected (did-you-mean for names).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.engine import model as m
from ivr.engine.errors import FlowError, did_you_mean
from ivr.engine.fields import is_required
from ivr.errors import ErrorList, LocatedError

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
FLOW_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
WORD = re.compile(r"[a-z][a-z0-9_]*\Z")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
DTMF = frozenset("0123456789*#")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def compose_file(text: str, path: Path | str) -> Node:
    """The YAML node tree of a config file's `text`; `ErrorList` with `path:line:col` when it
    is not YAML or is empty (the one place config readers turn PyYAML errors into ours)."""
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ErrorList(
            [LocatedError(f"not valid YAML: {exc.problem}", path=path, line=line, column=col)]
        ) from None
    if root is None:
        raise ErrorList([LocatedError("the file is empty", path=path, line=1, column=1)])
    return root


def pos_of(node: Node) -> m.Pos:
    return m.Pos(node.start_mark.line + 1, node.start_mark.column + 1)


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    if tag == "null":
        return "null"
    if tag == "bool":
        return f"a boolean {node.value}"
    if tag in ("int", "float"):
        return f"a number {node.value}"
    value = str(node.value)
    return f"a string '{value[:40]}{'...' if len(value) > 40 else ''}'"


class Reader:
    """Reads composed YAML nodes into Python values, recording located errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[FlowError] = []

    def error(self, at: Node | m.Pos, message: str) -> None:
        pos = at if isinstance(at, m.Pos) else pos_of(at)
        self.errors.append(FlowError(message, path=self.path, line=pos.line, column=pos.column))

    def fail(self, where: str, at: Node, fld: str, expected: str) -> None:
        self.error(at, f"{_prefix(where)}'{fld}' must be {expected} (got {describe(at)})")

    def pairs(self, node: Node, where: str) -> list[tuple[str, Node, Node]]:
        """Items of a mapping with string keys; duplicates and bad keys are errors."""
        seen: dict[str, Node] = {}
        items: list[tuple[str, Node, Node]] = []
        assert isinstance(node, MappingNode)
        for key_node, value in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":null"):
                self.error(key_node, f"{_prefix(where)}keys must be plain names")
                continue
            key = str(key_node.value)
            if key in seen:
                first = pos_of(seen[key]).line
                self.error(
                    key_node, f"{_prefix(where)}duplicate key '{key}' (first at line {first})"
                )
                continue
            seen[key] = key_node
            items.append((key, key_node, value))
        return items

    def fields(
        self, node: Node, where: str, allowed: dict[str, str], what: str = "a mapping"
    ) -> dict[str, tuple[Node, Node]] | None:
        """Check a mapping's field names against `allowed` (kind ends in '!' = required)."""
        if not isinstance(node, MappingNode):
            self.error(node, f"{_prefix(where)}expected {what} (got {describe(node)})")
            return None
        found: dict[str, tuple[Node, Node]] = {}
        for key, key_node, value in self.pairs(node, where):
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                self.error(key_node, f"{_prefix(where)}unknown field '{key}'{hint}")
                continue
            found[key] = (key_node, value)
        for name, kind in allowed.items():
            if is_required(kind) and name not in found:
                self.error(node, f"{_prefix(where)}missing required field '{name}'")
        return found

    # ---- scalars ----

    def text(self, node: Node, where: str, fld: str) -> str | None:
        if isinstance(node, ScalarNode) and node.tag.rsplit(":", 1)[-1] in ("str", "int", "float"):
            return str(node.value)
        self.fail(where, node, fld, "a string")
        return None

    def matching(
        self, node: Node, where: str, fld: str, rx: re.Pattern[str], what: str
    ) -> str | None:
        value = self.text(node, where, fld)
        if value is not None and not rx.match(value):
            self.fail(where, node, fld, what)
            return None
        return value

    def number(self, node: Node, where: str, fld: str, low: float, high: float) -> float | None:
        tag = node.tag.rsplit(":", 1)[-1] if isinstance(node, ScalarNode) else ""
        try:
            value = float(str(node.value).replace("_", "")) if tag in ("int", "float") else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self.fail(where, node, fld, f"a number from {low:g} to {high:g}")
            return None
        return value

    def integer(self, node: Node, where: str, fld: str, low: int, high: int) -> int | None:
        tag = node.tag.rsplit(":", 1)[-1] if isinstance(node, ScalarNode) else ""
        try:
            value = int(str(node.value).replace("_", "")) if tag == "int" else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self.fail(where, node, fld, f"a whole number from {low} to {high}")
            return None
        return value

    def boolean(self, node: Node, where: str, fld: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            return str(node.value).lower() in ("true", "yes", "on", "y")
        self.fail(where, node, fld, "true or false")
        return None

    def scalar_text(self, node: Node, where: str, fld: str) -> str | None:
        """A string, number or boolean value, as text (booleans as true/false)."""
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            return "true" if self.boolean(node, where, fld) else "false"
        if isinstance(node, ScalarNode) and not node.tag.endswith(":null"):
            return str(node.value)
        self.fail(where, node, fld, "a string, number or boolean")
        return None

    def text_list(self, node: Node, where: str, fld: str) -> list[tuple[str, Node]] | None:
        if not isinstance(node, SequenceNode):
            self.fail(where, node, fld, "a list of strings")
            return None
        out = []
        for item in node.value:
            value = self.text(item, where, fld)
            if value is not None:
                out.append((value, item))
        return out


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""
