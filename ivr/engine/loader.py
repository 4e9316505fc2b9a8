"""YAML flow files -> typed model (`ivr.engine.model`), with every error located.

Rules:
- Only `yaml` SafeLoader parsing/composing (libyaml when available); no object construction.
- Hostile input ends in `FlowError`s, never a traceback or a hang: size limit, UTF-8 check,
  aliases refused and nesting depth bounded before composing, node count bounded.
- All errors of a file are collected (`parse_flow` returns them); `load_flows` raises them together
  as an `ErrorList`. Positions come from the composed nodes' marks (0-based, so +1).
- Loading pauses the cyclic garbage collector (`gc_paused`): a composed tree is ~10 objects per
  flow node and makes no cycles, and the collector's repeated full passes over it cost 2/3 of the
  load time of a 10,000-node file.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode

from ivr.engine import model as m
from ivr.engine.build import build_flow
from ivr.engine.errors import FlowError
from ivr.engine.yamlread import Reader, pos_of
from ivr.errors import ErrorList

MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 64

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_ANCHOR = re.compile(r"&[^\s,\[\]{}]")


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
     "on", "On", "ON", "off", "Off", "OFF"}
)  # fmt: skip


class _Loader(_BaseLoader):  # type: ignore[misc]
    """SafeLoader (libyaml) with the YAML 1.1 implicit tags of plain scalars decided in one go
    (same result as SafeLoader's resolver; only numbers and `<<`/`=` go the slow way)."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            if value in _NULLS:
                return "tag:yaml.org,2002:null"
            if value in _BOOLS:
                return "tag:yaml.org,2002:bool"
            if value[0] not in "0123456789+-.<=":
                return _STR
        tag: str = super().resolve(kind, value, implicit)
        return tag


@dataclass(slots=True)
class ParsedFile:
    path: Path
    flow: m.Flow | None
    errors: list[FlowError] = field(default_factory=list)
    broken: bool = False  # some node could not be built: skip graph-wide checks


def read_text(path: Path, reader: Reader) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            reader.error(
                m.NOWHERE, f"file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})"
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        reader.error(m.NOWHERE, f"cannot read the file ({exc.strerror or exc})")
        return None
    return decode(data, reader)


def decode(data: bytes, reader: Reader) -> str | None:
    if len(data) > MAX_FILE_BYTES:
        reader.error(
            m.NOWHERE, f"file is too large ({len(data)} bytes; the limit is {MAX_FILE_BYTES})"
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = data[exc.start]
        reader.error(m.Pos(line, column), f"file is not UTF-8 text (byte 0x{bad:02x})")
        return None


def scan_events(text: str, reader: Reader) -> bool:
    """Refuse aliases (no alias bombs) and bound nesting; only run when anchors may exist."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            reader.error(
                _event_pos(event), f"YAML aliases are not allowed (found '*{event.anchor}')"
            )
            return False
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                reader.error(
                    _event_pos(event), f"nesting is too deep (more than {MAX_DEPTH} levels)"
                )
                return False
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return True


def compose(text: str, reader: Reader) -> Node | None:
    """Compose the YAML tree. Aliases are refused by `scan_events` first (libyaml itself bounds
    nesting at 1000 levels). YAML syntax errors become located errors."""
    try:
        if _ANCHOR.search(text) is not None and not scan_events(text, reader):
            return None
        node: Node | None = yaml.compose(text, Loader=_Loader)
        return node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = m.Pos(mark.line + 1, mark.column + 1) if mark else m.NOWHERE
        reader.error(at, f"YAML syntax error: {exc.problem or exc.context}")
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        at = m.Pos(before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        )
        reader.error(at, f"file contains a control character #x{code:04x} (not allowed in YAML)")
    except yaml.YAMLError as exc:
        reader.error(m.NOWHERE, f"YAML error: {str(exc).splitlines()[0]}")
    return None


def _event_pos(event: yaml.Event) -> m.Pos:
    mark = event.start_mark
    return m.Pos(mark.line + 1, mark.column + 1) if mark is not None else m.NOWHERE


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a burst of allocation (restores its state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_flow(path: Path, data: bytes | None = None) -> ParsedFile:
    """Parse one flow file (or `data` as if read from `path`). Never raises for bad input."""
    with gc_paused():
        return _parse_flow(path, data)


def _parse_flow(path: Path, data: bytes | None) -> ParsedFile:
    reader = Reader(path)
    text = read_text(path, reader) if data is None else decode(data, reader)
    root = compose(text, reader) if text is not None else None
    if text is not None and root is None and not reader.errors:
        reader.error(m.NOWHERE, "the flow file is empty")
    if root is None:
        return ParsedFile(path, None, reader.errors, broken=True)
    try:
        flow, broken = build_flow(root, reader)
    except RecursionError:  # conditions nested hundreds of levels deep
        reader.error(pos_of(root), "nesting is too deep")
        return ParsedFile(path, None, reader.errors, broken=True)
    errors = sorted(reader.errors, key=lambda e: (e.line, e.column))
    return ParsedFile(path, flow, errors, broken)


def flow_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their `*.yaml`/`*.yml` files (sorted); keep files as given."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            out.append(path)
    return out


def parse_files(paths: Sequence[Path]) -> list[ParsedFile]:
    return [parse_flow(path) for path in flow_files(paths)]


def load_flows(paths: Sequence[Path]) -> m.FlowSet:
    """Load flow files/directories into a `FlowSet`; raise `ErrorList` with every load error.

    Only syntax/type checks: run `ivr.engine.validate.check_files` for the semantic checks.
    """
    parsed = parse_files(paths)
    errors = [e for p in parsed for e in p.errors]
    errors.extend(duplicate_names(parsed))
    if errors:
        raise ErrorList(list(errors))
    return m.FlowSet({p.flow.name: p.flow for p in parsed if p.flow is not None})


def duplicate_names(parsed: Sequence[ParsedFile]) -> list[FlowError]:
    seen: dict[str, Path] = {}
    errors = []
    for p in parsed:
        if p.flow is None:
            continue
        if p.flow.name in seen:
            at = p.flow.marks.get("flow", p.flow.pos)
            message = f"flow '{p.flow.name}' is also defined in {seen[p.flow.name]}"
            errors.append(FlowError(message, path=p.path, line=at.line, column=at.column))
        else:
            seen[p.flow.name] = p.path
    return errors
