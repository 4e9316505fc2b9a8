"""Speakable prompt text: typed template slots spoken the way each language reads them. Pure.

A prompt writes `{name:type}` (`{balance:money}`, `{order_month:month}`, `{caller:phone}`); when
the prompt is played, the variable's raw value is checked against the type and replaced by its
spoken form in the call's language, so the voice never has to guess how to read a digit
(`2505` is a contract month 二五零五, not 两千五百零五). Types: `SLOT_TYPES`; the forms:
docs/prompts.md. Languages: Mandarin (`zh*`) and English (`en*`).

Rules:
- Pure: no clock, no I/O. Must not import anything of ours outside `ivr.engine.speakable`
  (the engine and the prompt renderer import it, never the reverse). Values come in as raw
  text (`raw_text` makes it from a provider's `Decimal`, `int`, `datetime` ...).
- `speak` raises `SlotValueError` for a value its type cannot speak (or a language without
  spoken forms); `speak_or_raw` is the call-time form: a bad value is played as it is rather
  than failing a call.
- An empty raw value speaks as nothing (a market order has no price).
- Account numbers are only ever spoken by their last 4 digits.
"""

from __future__ import annotations

from ivr.engine.speakable.fill import spoken_text
from ivr.engine.speakable.spoken import LANGUAGES, speak, speak_or_raw, speaks
from ivr.engine.speakable.values import (
    SLOT_TYPES,
    Contract,
    SlotValueError,
    Trade,
    raw_text,
    trades_raw,
)

__all__ = [
    "LANGUAGES",
    "SLOT_TYPES",
    "Contract",
    "SlotValueError",
    "Trade",
    "raw_text",
    "speak",
    "speak_or_raw",
    "speaks",
    "spoken_text",
    "trades_raw",
]
