"""The announcement texts and exit keys (pure; lives here with its integration tests)."""

from __future__ import annotations

import pytest

from ivr.queue.announce import Exits, minutes, open_exits, waiting_text
from queueing.config import Announcements, ExitOption
from queueing.model import CallerView

BOTH = Exits(callback=True, voice_message=True)


def view(position: int, estimate_s: float | None, *exits: ExitOption) -> CallerView:
    return CallerView(position, 30.0, estimate_s, exits)


@pytest.mark.parametrize(("estimate_s", "expected"), [(1.0, 1), (60.0, 1), (61.0, 2), (360.0, 6)])
def test_minutes_round_up_and_never_zero(estimate_s: float, expected: int) -> None:
    assert minutes(estimate_s) == expected


def test_chinese_position_estimate_and_exits() -> None:
    text = waiting_text(view(4, 130.0), Announcements(), "zh-CN", BOTH)
    assert text == (
        "您前面还有3位客户，预计等待约3分钟。"
        "如需保留排队位置并等待回电，请按星号键。如需留言，请按井号键。"
    )


def test_chinese_position_without_an_estimate_ends_the_sentence() -> None:
    assert waiting_text(view(2, None), Announcements(), "zh-CN", Exits()) == "您前面还有1位客户。"
    assert waiting_text(view(1, None), Announcements(), "zh-CN", Exits()) == "您是下一位。"


def test_english_text() -> None:
    text = waiting_text(view(3, 60.0), Announcements(), "en", Exits(callback=True))
    assert text == (
        "You are number 3 in line. The estimated wait is about 1 minute."
        " To be called back without losing your place, press star."
    )


def test_nothing_to_say_when_the_queue_announces_nothing() -> None:
    quiet = Announcements(position=False, estimated_wait=False)
    assert waiting_text(view(1, 60.0), quiet, "zh-CN", Exits()) is None


def test_exit_keys_follow_the_queue_offer_and_the_flow() -> None:
    assert open_exits(view(1, None), offer_callback=False) == Exits()
    assert open_exits(view(1, None), offer_callback=True) == Exits(callback=True)
    offered = open_exits(view(1, None, ExitOption.CALLBACK, ExitOption.VOICE_MESSAGE), False)
    assert offered == BOTH
    assert (BOTH.allows("*"), BOTH.allows("#"), BOTH.allows("1")) == (
        ExitOption.CALLBACK,
        ExitOption.VOICE_MESSAGE,
        None,
    )
    assert Exits(callback=True).allows("#") is None
