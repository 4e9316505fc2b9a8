"""The pure scheduler: concurrency cap, pacing cadence, windows, order."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.outbound.policy import KindPolicy, Window
from ivr.outbound.schedule import Due, Pacer, Pacing, Plan, choose, result_of_cause

SH = ZoneInfo("Asia/Shanghai")
POLICIES = {
    "margin_notice": KindPolicy(
        "margin_notice", "margin_notice", "95555", Window("trading", 60), 3
    ),
    "survey": KindPolicy("survey", "survey", "95555", Window("daily", 0, time(9), time(20)), 2),
}
MONDAY_10 = datetime(2026, 1, 5, 10, tzinfo=SH)
PACING = Pacing(max_concurrent=10, calls_per_s=2.0)


IDLE = Pacer()


def plan(
    due: list[Due], now: datetime = MONDAY_10, in_flight: int = 0, pacer: Pacer = IDLE
) -> Plan:
    return choose(
        due, now=now, in_flight=in_flight, pacer=pacer, pacing=PACING, policies=POLICIES,
        calendar=DEFAULT_CALENDAR,
    )  # fmt: skip


def test_one_start_per_pass_and_none_when_full() -> None:
    due = [Due(i, "margin_notice") for i in range(5)]
    assert plan(due).dial == (0,)
    assert plan(due, in_flight=10).dial == ()
    assert plan(due, in_flight=9).dial == (0,)


def test_pacing_keeps_the_cadence_when_a_pass_runs_late() -> None:
    now_s = MONDAY_10.timestamp()
    first = plan([Due(1, "margin_notice")])
    assert first.pacer.next_free_s == now_s + 0.5
    early = plan(
        [Due(2, "margin_notice")], now=MONDAY_10 + timedelta(seconds=0.4), pacer=first.pacer
    )
    assert early.dial == ()
    late = plan(
        [Due(2, "margin_notice")], now=MONDAY_10 + timedelta(seconds=0.6), pacer=first.pacer
    )
    assert late.dial == (2,)
    assert late.pacer.next_free_s == now_s + 1.0  # the slot, not the late pass, sets the pace


def test_after_an_idle_spell_the_cadence_restarts_without_a_burst() -> None:
    idle = Pacer(next_free_s=MONDAY_10.timestamp() - 60)
    result = plan([Due(1, "margin_notice"), Due(2, "margin_notice")], pacer=idle)
    assert result.dial == (1,)
    assert result.pacer.next_free_s == MONDAY_10.timestamp() + 0.5


def test_a_kind_outside_its_window_is_held_until_it_opens() -> None:
    at_22 = datetime(2026, 1, 5, 22, tzinfo=SH)
    result = plan([Due(1, "survey"), Due(2, "margin_notice")], now=at_22)
    assert result.dial == (2,)  # the night session is open for margin notices
    assert result.hold == ((1, datetime(2026, 1, 6, 9, tzinfo=SH).timestamp()),)


def test_margin_notices_go_before_surveys() -> None:
    assert plan([Due(1, "survey"), Due(2, "margin_notice")]).dial == (2,)


def test_causes_of_unanswered_legs() -> None:
    assert [result_of_cause(c) for c in (17, 19, 18, 34, 1, 21, None)] == [
        "busy", "no_answer", "no_answer", "failed", "failed", "failed", "failed",
    ]  # fmt: skip
