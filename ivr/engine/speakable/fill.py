"""A prompt template filled from given values, spoken: what `ivr prompts say` prints. Pure.

Rules: every slot needs a value (`values`); a typed slot is spoken in `language`, an untyped
one inserts its value as it is, unless the value holds a digit (the voice would guess how to
read it: the same rule as the flow validator), which is refused naming the slot and the types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ivr.engine.errors import did_you_mean
from ivr.engine.speakable.spoken import speak
from ivr.engine.speakable.values import SLOT_TYPES, SlotValueError
from ivr.engine.templates import render, slots_in

_DIGIT = re.compile(r"[0-9]")


def spoken_text(template: str, values: Mapping[str, str], language: str) -> str:
    """`template` with its slots filled from `values` and typed slots spoken in `language`."""
    types = ", ".join(SLOT_TYPES)
    for slot in slots_in(template):
        if slot.kind is not None and slot.kind not in SLOT_TYPES:
            hint = did_you_mean(slot.kind, SLOT_TYPES)
            raise SlotValueError(
                f"slot '{slot.text}': unknown slot type '{slot.kind}'{hint} (types: {types})"
            )
        if slot.name not in values:
            raise SlotValueError(f"slot '{slot.text}' has no value: add --set {slot.name}=VALUE")
        if slot.kind is None and _DIGIT.search(values[slot.name]):
            raise SlotValueError(
                f"slot '{slot.text}' is untyped but its value '{values[slot.name]}' holds a "
                f"number; write it typed, e.g. {{{slot.name}:decimal}} (slot types: {types})"
            )

    def typed(name: str, kind: str) -> str:
        try:
            return speak(kind, values[name], language)
        except SlotValueError as exc:
            raise SlotValueError(f"--set {name}={values[name]}: {exc}") from None

    return render(template, lambda name: values[name], typed)
