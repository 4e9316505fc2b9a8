"""Speech recognition settings (`asr.*` keys, docs/asr.md): models, capacity, and the
out-of-grammar guard. Part of the settings tree (`ivr.settings`).

Rules: every scalar key has an `IVR_ASR_*` variable; a bad value raises `BadValue(problem, fix)`,
which `ivr.settings` turns into a `ConfigError` naming the file:line or the variable. Defaults
are the measured ones (docs/asr.md, "Out-of-grammar guard").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.settings.security import BadValue

FREEFORM_PASSES = ("off", "clipped", "always")  # as asr.recognizer.FreeformPass


@dataclass(frozen=True, slots=True)
class AsrSettings:
    """`models`: language -> Vosk model directory; `max_active` recognizers listen at once
    (beyond: DTMF-only). The out-of-grammar guard: speech that starts less than `lead_ms` after
    listening began is clipped (a likely fragment); `freeform_pass` (off | clipped | always)
    says which utterances also get a free-form second pass ("always": about 6x the CPU while
    callers speak); a grammar result whose decoding score trails the free-form one by more
    than `min_margin_per_s` per second of speech is out of grammar, a clipped one must reach
    `clipped_margin_per_s`."""

    models: Mapping[str, Path] = field(default_factory=dict)
    max_active: int = 16
    freeform_pass: str = "clipped"
    min_margin_per_s: float = -25.0
    clipped_margin_per_s: float = -15.0
    lead_ms: int = 200


def _text(value: str | None) -> str:
    if value is None or not value.strip():
        raise BadValue("is empty", "give a value or remove the key")
    return value.strip()


def _negative(value: str | None) -> float:
    text = _text(value)
    if not re.fullmatch(r"-[0-9]*\.?[0-9]+", text):
        raise BadValue(f"{text!r} is not a negative number", "use e.g. -25")
    return float(text)


def _number(value: str | None) -> float:
    text = _text(value)
    if not re.fullmatch(r"[-+]?[0-9]*\.?[0-9]+", text):
        raise BadValue(f"{text!r} is not a number", "use e.g. 0 or -5.5")
    return float(text)


def _pass(value: str | None) -> str:
    text = _text(value).lower()
    if text not in FREEFORM_PASSES:
        raise BadValue(f"{text!r} is not a free-form pass mode", "use off, clipped or always")
    return text


def _millis(value: str | None) -> int:
    text = _text(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 4 or int(text) > 5000:
        raise BadValue(f"{text!r} is not a whole number of ms from 0 to 5000", "use e.g. 200")
    return int(text)


def asr_keys(
    positive_int: Callable[[str | None], int],
) -> Mapping[str, tuple[Callable[[str | None], Any], str]]:
    """The scalar `asr.*` keys: parser and environment variable."""
    return {
        "asr.max_active": (positive_int, "IVR_ASR_MAX_ACTIVE"),
        "asr.freeform_pass": (_pass, "IVR_ASR_FREEFORM_PASS"),
        "asr.min_margin_per_s": (_negative, "IVR_ASR_MIN_MARGIN_PER_S"),
        "asr.clipped_margin_per_s": (_number, "IVR_ASR_CLIPPED_MARGIN_PER_S"),
        "asr.lead_ms": (_millis, "IVR_ASR_LEAD_MS"),
    }
