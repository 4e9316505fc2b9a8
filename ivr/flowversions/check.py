"""Pure checks of flow versions: YAML texts in, a `FlowSet` and located errors out; diffs.

Rules: no I/O, no SQL, no clock. `check_texts` validates a whole set of flows given as texts by
flow name, the way publish sees them: each text is parsed as the file named in `paths`, the
`flow:` field must equal the flow name, and the set is validated together (`ivr.engine.validate`,
with the app's `Context`). Errors are `path:line:col: message`, sorted by file, line, column.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.engine.errors import FlowError
from ivr.engine.loader import ParsedFile, duplicate_names, parse_flow
from ivr.engine.model import FlowSet
from ivr.engine.validate import Context, validate


def _name_errors(name: str, parsed: ParsedFile) -> list[FlowError]:
    if parsed.flow is None or parsed.flow.name == name:
        return []
    at = parsed.flow.marks.get("flow", parsed.flow.pos)
    message = f"'flow: {parsed.flow.name}' does not match the flow name '{name}' (use '{name}')"
    return [FlowError(message, path=parsed.path, line=at.line, column=at.column)]


def check_texts(
    texts: Mapping[str, str], ctx: Context, paths: Mapping[str, Path]
) -> tuple[FlowSet, list[FlowError]]:
    """Parse and fully validate flows given as YAML texts by flow name (`paths`: the file name
    each one's errors carry). Returns the usable flows and every error, in name order."""
    names = sorted(texts)
    parsed = [parse_flow(paths[n], texts[n].encode("utf-8")) for n in names]
    errors = [e for n, p in zip(names, parsed, strict=True) for e in p.errors + _name_errors(n, p)]
    errors += duplicate_names(parsed)
    calendar = DEFAULT_CALENDAR if ctx.calendar is None else ctx.calendar
    flows = FlowSet({p.flow.name: p.flow for p in parsed if p.flow is not None}, calendar)
    skip = {p.flow.name for p in parsed if p.flow is not None and (p.broken or p.errors)}
    errors.extend(validate(flows, ctx, skip_graph=skip))
    order = {str(p.path): i for i, p in enumerate(parsed)}
    errors.sort(key=lambda e: (order.get(str(e.path), len(order)), e.line, e.column))
    return flows, errors


def unified_diff(flow: str, old: tuple[int, str], new: tuple[int, str]) -> str:
    """The unified diff of two versions of `flow`, each given as (number, YAML text)."""
    (old_number, old_text), (new_number, new_text) = old, new
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"{flow}@{old_number}",
        tofile=f"{flow}@{new_number}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
