"""`speak(kind, raw, language)`: one slot value in its spoken form, per language. Pure.

Rules: the type must be one of `SLOT_TYPES`; an empty value speaks as nothing; a language
without spoken forms (only Mandarin `zh*` and English `en*` have them) is refused.
`speak_or_raw` is the call-time form: a value that cannot be spoken is played as it is.
"""

from __future__ import annotations

from ivr.engine.speakable import en, zh
from ivr.engine.speakable.values import SLOT_TYPES, SlotValueError

LANGUAGES = ("zh-CN", "en")


def speaks(language: str) -> bool:
    """Whether `language` has spoken forms."""
    return language.startswith(("zh", "en"))


def speak(kind: str, raw: str, language: str) -> str:
    """The spoken form of `raw` as a `kind` slot in `language`."""
    if kind not in SLOT_TYPES:
        known = ", ".join(SLOT_TYPES)
        raise SlotValueError(f"unknown slot type '{kind}' (types: {known})")
    if not raw.strip():
        return ""
    if language.startswith("zh"):
        return zh.speak(kind, raw)
    if language.startswith("en"):
        return en.speak(kind, raw)
    known = ", ".join(LANGUAGES)
    raise SlotValueError(f"no spoken forms for language '{language}' (known: {known})")


def speak_or_raw(kind: str, raw: str, language: str) -> str:
    """`speak`, or `raw` itself when it cannot be spoken (call time: never fail a call)."""
    try:
        return speak(kind, raw, language)
    except SlotValueError:
        return raw
