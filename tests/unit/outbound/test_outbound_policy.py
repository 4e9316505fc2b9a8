"""Calling windows and retry decisions (pure; times given, no clock)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.outbound.policy import (
    KindPolicy,
    NoMoreAttempts,
    Retry,
    Window,
    after_attempt,
    deadline_of,
    opens_at,
)

SH = ZoneInfo("Asia/Shanghai")
SURVEY = Window("daily", start=time(9), end=time(20))
MARGIN = Window("trading", lead_min=60)
# 2026-01-01 (Thursday) an exchange holiday in this test calendar
HOLIDAY_CAL = DEFAULT_CALENDAR.__class__(
    DEFAULT_CALENDAR.day_sessions, DEFAULT_CALENDAR.groups, DEFAULT_CALENDAR.default_group,
    holidays={date(2026, 1, 1): "New Year"},
)  # fmt: skip


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def test_a_survey_due_at_22_waits_for_9_the_next_trading_day() -> None:
    assert opens_at(SURVEY, at(2026, 1, 5, 22), DEFAULT_CALENDAR) == at(2026, 1, 6, 9)


def test_a_survey_due_friday_night_waits_for_monday_9() -> None:
    assert opens_at(SURVEY, at(2026, 1, 9, 22), DEFAULT_CALENDAR) == at(2026, 1, 12, 9)


def test_a_survey_skips_a_holiday() -> None:
    assert opens_at(SURVEY, at(2025, 12, 31, 21), HOLIDAY_CAL) == at(2026, 1, 2, 9)
    assert opens_at(SURVEY, at(2026, 1, 1, 10), HOLIDAY_CAL) == at(2026, 1, 2, 9)


def test_a_survey_inside_its_window_goes_now_and_early_waits_for_9() -> None:
    assert opens_at(SURVEY, at(2026, 1, 5, 19, 59), DEFAULT_CALENDAR) == at(2026, 1, 5, 19, 59)
    assert opens_at(SURVEY, at(2026, 1, 5, 20), DEFAULT_CALENDAR) == at(2026, 1, 6, 9)
    assert opens_at(SURVEY, at(2026, 1, 5, 7), DEFAULT_CALENDAR) == at(2026, 1, 5, 9)


def test_margin_notices_ring_in_sessions_and_the_hour_before() -> None:
    assert opens_at(MARGIN, at(2026, 1, 5, 10), DEFAULT_CALENDAR) == at(2026, 1, 5, 10)
    assert opens_at(MARGIN, at(2026, 1, 5, 8, 30), DEFAULT_CALENDAR) == at(2026, 1, 5, 8, 30)
    assert opens_at(MARGIN, at(2026, 1, 5, 7), DEFAULT_CALENDAR) == at(2026, 1, 5, 8)
    # the afternoon gap 15:00-21:00: held until an hour before the night session
    assert opens_at(MARGIN, at(2026, 1, 5, 16), DEFAULT_CALENDAR) == at(2026, 1, 5, 20)
    # Saturday: the next session is Monday 09:00
    assert opens_at(MARGIN, at(2026, 1, 10, 12), DEFAULT_CALENDAR) == at(2026, 1, 12, 8)


POLICY = KindPolicy(
    "margin_notice", "margin_notice", "95555", MARGIN, max_attempts=3,
    retry_after_s={"busy": 120, "no_answer": 300, "failed": 300, "no_confirmation": 600},
)  # fmt: skip
NOW = at(2026, 1, 5, 10)


@pytest.mark.parametrize(
    ("result", "wait_s"),
    [("busy", 120), ("no_answer", 300), ("failed", 300), ("no_confirmation", 600)],
)
def test_each_retryable_result_waits_its_own_backoff(result: str, wait_s: int) -> None:
    assert after_attempt(POLICY, 1, result, NOW) == Retry(NOW + timedelta(seconds=wait_s))


def test_the_last_attempt_ends_unconfirmed() -> None:
    assert after_attempt(POLICY, 3, "busy", NOW) == NoMoreAttempts("unconfirmed")
    assert after_attempt(POLICY, 3, "no_confirmation", NOW) == NoMoreAttempts("unconfirmed")


def test_final_results() -> None:
    assert after_attempt(POLICY, 1, "confirmed", NOW) == NoMoreAttempts("confirmed")
    assert after_attempt(POLICY, 2, "agent_requested", NOW) == NoMoreAttempts("handed_to_agent")
    assert after_attempt(POLICY, 1, "refused", NOW) == NoMoreAttempts("refused")
    with pytest.raises(ValueError, match="unknown outbound result 'maybe'"):
        after_attempt(POLICY, 1, "maybe", NOW)


def test_no_retry_at_or_after_the_calls_deadline() -> None:
    soon = NOW + timedelta(seconds=120)
    assert after_attempt(POLICY, 1, "busy", NOW, deadline=soon + timedelta(seconds=1)) == Retry(
        soon
    )
    assert after_attempt(POLICY, 1, "busy", NOW, deadline=soon) == NoMoreAttempts("expired")
    assert after_attempt(POLICY, 1, "expired", NOW) == NoMoreAttempts("expired")
    assert after_attempt(POLICY, 1, "confirmed", NOW, deadline=NOW) == NoMoreAttempts("confirmed")


def test_the_deadline_is_read_from_the_calls_facts() -> None:
    assert deadline_of({"deadline": "2026-01-12T09:00:00+08:00"}) == at(2026, 1, 12, 9)
    assert deadline_of({}) is None
    assert deadline_of({"deadline": "2026-01-12T09:00:00"}) is None  # no offset: not trusted
    assert deadline_of({"deadline": "soon"}) is None
