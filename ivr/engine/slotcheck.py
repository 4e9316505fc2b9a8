"""Checks of template slots for the validator: slot types exist, and a prompt never leaves a
number to the voice's guess. Pure.

Rules:
- `{name:type}` must name a type of `ivr.engine.speakable.SLOT_TYPES`, in any template.
- A prompt (TTS text) may not insert a variable that carries a number through an untyped slot:
  the voice would read `2505` as 两千五百零五. A variable carries a number when it is the
  caller's or dialled number, a collected input (not fully masked), a recording's duration, a
  lookup field with a slot type in the providers' catalogue, a counter (`add`), or a `set` /
  flow variable whose value holds a digit or such a variable. The error names the slot and
  the type to write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ivr.engine import model as m
from ivr.engine.errors import did_you_mean
from ivr.engine.providers import CATALOGUE
from ivr.engine.speakable import SLOT_TYPES
from ivr.engine.templates import literal_text, slots_in

_DIGIT = re.compile(r"[0-9]")
TYPES = ", ".join(SLOT_TYPES)


@dataclass(frozen=True, slots=True)
class NumberSource:
    kind: str  # the slot type to suggest
    origin: str  # where the number comes from, for the message


BUILTIN_NUMBERS = {
    "caller": NumberSource("phone", "the caller's number"),
    "dialed": NumberSource("phone", "the dialled number"),
    "recording_duration_s": NumberSource("decimal", "a recording's duration"),
}


def _collected(node: m.CollectNode) -> NumberSource | None:
    if node.mask == "full":
        return None  # shown as **** everywhere
    kind = "decimal" if node.decimal_key else "digits"
    if node.mask == "partial":
        kind = "account"
    return NumberSource(kind, f"digits collected at node '{node.id}'")


def number_sources(flows: m.FlowSet) -> dict[str, NumberSource]:
    """Every variable of `flows` that carries a number, with the slot type to read it by."""
    numbers = dict(BUILTIN_NUMBERS)
    templates: list[tuple[str, str, str]] = []  # (variable, template, origin)
    for flow in flows.flows.values():
        for name, value in flow.variables.items():
            templates.append((name, value, f"flow variable '{name}'"))
        for node in flow.nodes.values():
            match node:
                case m.CollectNode():
                    source = _collected(node)
                    if source is not None:
                        numbers[node.var] = source
                case m.LookupNode() if node.provider in CATALOGUE:
                    spec = CATALOGUE[node.provider]
                    for field, kind in spec.field_types.items():
                        origin = f"field '{field}' of provider '{spec.name}'"
                        numbers[node.prefix + field] = NumberSource(kind, origin)
                case m.SetNode():
                    for name in node.add:
                        numbers[name] = NumberSource("decimal", f"counter set at node '{node.id}'")
                    for name, value in node.vars.items():
                        templates.append((name, value, f"value set at node '{node.id}'"))
                case _:
                    pass
    changed = True
    while changed:  # a set value may copy a variable that another set value made numeric
        changed = False
        for name, template, origin in templates:
            if name in numbers:
                continue
            inner = [numbers[s.name] for s in slots_in(template) if s.name in numbers]
            if inner or _DIGIT.search(literal_text(template)):
                kind = inner[0].kind if inner else "decimal"
                numbers[name] = NumberSource(kind, origin)
                changed = True
    return numbers


def type_errors(template: str) -> list[str]:
    """Typed slots naming an unknown slot type."""
    errors = []
    for slot in slots_in(template):
        if slot.kind is not None and slot.kind not in SLOT_TYPES:
            hint = did_you_mean(slot.kind, SLOT_TYPES)
            message = f"unknown slot type '{slot.kind}' in '{slot.text}'{hint} (types: {TYPES})"
            errors.append(message)
    return errors


def untyped_numbers(template: str, numbers: Mapping[str, NumberSource]) -> list[str]:
    """Untyped slots of a prompt that would hand the voice a number."""
    errors = []
    for slot in slots_in(template):
        source = numbers.get(slot.name)
        if slot.kind is None and source is not None:
            errors.append(
                f"slot '{slot.text}' carries a number ({source.origin}); write it typed: "
                f"{{{slot.name}:{source.kind}}} (slot types: {TYPES})"
            )
    return errors
