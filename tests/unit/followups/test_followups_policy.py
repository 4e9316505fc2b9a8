"""Due times from the shipped policy on the shipped trading calendar, at fixed times."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.engine.tradingcal import load_trading_calendar
from ivr.followups.policy import Due, due_at
from ivr.followups.policy_file import load_followup_policy

ROOT = Path(__file__).resolve().parents[3]
SH = ZoneInfo("Asia/Shanghai")
CAL = load_trading_calendar(ROOT / "config/trading_calendar.yaml")
POLICY = load_followup_policy(ROOT / "config/followups.yaml")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def due(rule: Due, created: str) -> str:
    return due_at(rule, at(created), CAL).astimezone(SH).isoformat(timespec="minutes")


def test_a_phone_order_captured_in_session_is_due_in_5_minutes() -> None:
    rule = POLICY.for_ticket("emergency_order")
    assert rule is not None
    assert rule.kind == "phone_order"
    assert due(rule.policy.due, "2026-01-05T10:00") == "2026-01-05T10:05+08:00"


def test_a_phone_order_captured_in_the_midday_break_is_due_5_minutes_after_the_open() -> None:
    rule = POLICY.for_ticket("emergency_order")
    assert rule is not None
    assert due(rule.policy.due, "2026-01-05T12:00") == "2026-01-05T13:35+08:00"


def test_a_market_closed_callback_is_due_at_the_next_session_open() -> None:
    rule = POLICY.for_callback("market_closed")
    assert rule is not None
    assert rule.kind == "callback"
    # Saturday morning -> Monday 09:00 (no night session opens on a weekend)
    assert due(rule.policy.due, "2026-01-10T08:00") == "2026-01-12T09:00+08:00"
    # Friday 16:00 -> Friday's night session at 21:00 (Monday trades)
    assert due(rule.policy.due, "2026-01-09T16:00") == "2026-01-09T21:00+08:00"
    # Friday before Spring Festival: no night session; next open after the holidays
    assert due(rule.policy.due, "2026-02-13T16:00") == "2026-02-24T09:00+08:00"


def test_a_complaint_is_due_at_the_end_of_the_fifth_trading_day() -> None:
    rule = POLICY.for_ticket("complaint")
    assert rule is not None
    assert rule.kind == "complaint"
    assert due(rule.policy.due, "2026-01-05T10:00") == "2026-01-12T15:00+08:00"
    # over Spring Festival (16-23 Feb closed): Fri 13 -> 24, 25, 26, 27 Feb, 2 Mar
    assert due(rule.policy.due, "2026-02-13T10:00") == "2026-03-02T15:00+08:00"


def test_a_night_session_counts_as_open() -> None:
    rule = POLICY.for_callback("emergency_order_incomplete")
    assert rule is not None
    assert (rule.policy.priority, rule.policy.alert) == ("urgent", True)
    assert due(rule.policy.due, "2026-01-05T22:00") == "2026-01-05T22:05+08:00"


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (("ticket", "message"), "voice_message"),
        (("ticket", "emergency_message"), "voice_message"),
        (("callback", "pin_locked"), "pin_unlock"),
        (("callback", "queue_callback"), "callback"),
        (("callback", "verification_incomplete"), "callback"),
    ],
)
def test_promises_map_to_kinds(source: tuple[str, str], kind: str) -> None:
    how, name = source
    rule = POLICY.for_ticket(name) if how == "ticket" else POLICY.for_callback(name)
    assert rule is not None
    assert rule.kind == kind


def test_a_suggestion_promises_nothing() -> None:
    assert POLICY.for_ticket("suggestion") is None


def test_escalation_limits_follow_the_reason_that_made_the_item() -> None:
    assert POLICY.escalate_after_min("callback", "emergency_order_incomplete") == 5
    assert POLICY.escalate_after_min("callback", "market_closed") == 30
    assert POLICY.escalate_after_min("phone_order", "emergency_order") == 5
    assert POLICY.escalate_after_min("complaint", "complaint") == 240
