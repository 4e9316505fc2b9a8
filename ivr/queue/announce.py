"""What a waiting caller is told, and which exit keys they may press. Pure.

Rules: facts in (the store's `CallerView`, the queue's `Announcements`, the caller's
language, whether the flow offers a callback), text or decisions out; no clock, no I/O.
Texts exist in `zh-CN` and `en`; any other language gets the Chinese text (the hotline's
default). Position is spoken as callers count: "3 in front of you" (zh) / "number 4 in line"
(en) for a 1-based position 4. Estimates are rounded up to whole minutes, never "0 minutes".

Exit keys while waiting: `*` leaves a callback request that keeps the place in line, `#`
leaves a voice message. A key counts only when the queue offers that exit by now (its
overflow `offer` step) or, for the callback, when the flow's queue node says
`offer_callback: true`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from queueing.config import Announcements, ExitOption
from queueing.model import CallerView

CALLBACK_KEY = "*"
VOICE_MESSAGE_KEY = "#"
EXIT_KEYS = {CALLBACK_KEY: ExitOption.CALLBACK, VOICE_MESSAGE_KEY: ExitOption.VOICE_MESSAGE}

_ZH, _EN = "zh-CN", "en"


@dataclass(frozen=True, slots=True)
class Exits:
    """The exits open to one waiting caller now."""

    callback: bool = False
    voice_message: bool = False

    def allows(self, key: str) -> ExitOption | None:
        option = EXIT_KEYS.get(key)
        if option is ExitOption.CALLBACK and self.callback:
            return option
        if option is ExitOption.VOICE_MESSAGE and self.voice_message:
            return option
        return None


def open_exits(view: CallerView, offer_callback: bool, dialable: bool = True) -> Exits:
    """Exits for a caller seen as `view`; `offer_callback` is the flow's own callback offer;
    `dialable` False (the caller ID is not a valid number): no callback is offered at all."""
    return Exits(
        callback=dialable and (offer_callback or ExitOption.CALLBACK in view.exit_options),
        voice_message=ExitOption.VOICE_MESSAGE in view.exit_options,
    )


def _lang(language: str) -> str:
    return _EN if language.lower().startswith("en") else _ZH


def minutes(estimate_s: float) -> int:
    """Whole minutes, rounded up, at least 1."""
    return max(1, math.ceil(estimate_s / 60.0))


def position_text(position: int, language: str) -> str:
    if _lang(language) == _EN:
        return f"You are number {position} in line."
    ahead = max(0, position - 1)
    if ahead == 0:
        return "您是下一位。"
    return f"您前面还有{ahead}位客户，"


def estimate_text(estimate_s: float, language: str) -> str:
    n = minutes(estimate_s)
    if _lang(language) == _EN:
        unit = "minute" if n == 1 else "minutes"
        return f"The estimated wait is about {n} {unit}."
    return f"预计等待约{n}分钟。"


def exits_text(exits: Exits, language: str) -> str:
    parts: list[str] = []
    english = _lang(language) == _EN
    if exits.callback:
        parts.append(
            "To be called back without losing your place, press star."
            if english
            else "如需保留排队位置并等待回电，请按星号键。"
        )
    if exits.voice_message:
        parts.append(
            "To leave a voice message, press hash." if english else "如需留言，请按井号键。"
        )
    return " ".join(parts) if english else "".join(parts)


def waiting_text(
    view: CallerView, announcements: Announcements, language: str, exits: Exits
) -> str | None:
    """The announcement for a waiting caller, or None when there is nothing to say."""
    parts: list[str] = []
    if announcements.position:
        parts.append(position_text(view.position, language))
    if announcements.estimated_wait and view.estimated_wait_s is not None:
        parts.append(estimate_text(view.estimated_wait_s, language))
    elif parts and _lang(language) == _ZH and parts[-1].endswith("，"):
        parts[-1] = parts[-1][:-1] + "。"
    exit_part = exits_text(exits, language)
    if exit_part:
        parts.append(exit_part)
    if not parts:
        return None
    return " ".join(parts) if _lang(language) == _EN else "".join(parts)


def callback_confirmation(language: str) -> str:
    if _lang(language) == _EN:
        return (
            "Your callback request is recorded and you keep your place in line. "
            "We will call you back when it is your turn. Goodbye."
        )
    return "已为您登记回电，您的排队位置将为您保留，轮到您时我们会给您回电。再见。"
