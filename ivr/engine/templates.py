"""Prompt/param templates: `{name}` inserts a variable, `{name:type}` a typed slot, `{{` and `}}`
are literal braces. Pure.

No format-spec, no attribute access, no expressions: a template can only read variables. A typed
slot (`{balance:money}`, types in `ivr.engine.speakable.SLOT_TYPES`) is spoken in the call's
language where the template is a prompt; in params, attributes and `set` values it inserts the
raw value like an untyped one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?\}")


@dataclass(frozen=True, slots=True)
class Slot:
    name: str
    kind: str | None  # None: untyped
    text: str  # as written, e.g. "{balance:money}"


def render(
    template: str,
    value_of: Callable[[str], str],
    typed: Callable[[str, str], str] | None = None,
) -> str:
    """`template` with its slots filled: `value_of(name)`, or `typed(name, kind)` for a typed
    slot when given (else typed slots insert `value_of(name)` too)."""

    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name, kind = match.group(1), match.group(2)
        if kind is not None and typed is not None:
            return typed(name, kind)
        return value_of(name)

    return _TOKEN.sub(sub, template)


def slots_in(template: str) -> list[Slot]:
    """The slots of `template`, in order (duplicates kept)."""
    found = _TOKEN.finditer(template)
    return [Slot(m.group(1), m.group(2), m.group(0)) for m in found if m.group(1)]


def variables_in(template: str) -> list[str]:
    """Names referenced by `template`, in order (duplicates kept)."""
    return [slot.name for slot in slots_in(template)]


def literal_text(template: str) -> str:
    """`template` without its slots (what is written around them)."""
    return _TOKEN.sub(lambda m: "" if m.group(1) else m.group(0)[0], template)
