"""The interval report's pure core: trace facts paired into offers, offers counted into
15-minute intervals of local time (Asia/Shanghai, no daylight saving)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.queue.intervals import (
    TOTAL,
    IntervalRow,
    QueueStay,
    Result,
    TraceFact,
    bucket_starts,
    ceil_bucket,
    floor_bucket,
    intervals,
    max_waiting,
    offers_from,
)

SH = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """`2026-12-05T09:00`, or `09:00` for that day."""
    day = "" if "T" in text else "2026-12-05T"
    return datetime.fromisoformat(day + text).replace(tzinfo=SH)


def fact(call: str, seq: int, at: str, kind: str, **kw: str | None) -> TraceFact:
    ended = kw.pop("ended", None)
    return TraceFact(
        call, seq, local(at), kind, kw.get("queue"), kw.get("outcome"),
        None if ended is None else local(ended),
    )  # fmt: skip


def offer(
    queue: str, at: str, result: str, left: str | None, ended: str | None = None
) -> QueueStay:
    return QueueStay(
        queue, local(at), result,  # type: ignore[arg-type]
        None if left is None else local(left), None if ended is None else local(ended),
    )  # fmt: skip


def report(
    offers: list[QueueStay], start: str, end: str, now: str = "2026-12-05T23:59", **kw: float
) -> tuple[list[IntervalRow], list[IntervalRow]]:
    return intervals(
        offers, start=local(start), end=local(end), zone=SH, now=local(now),
        queues=["general", "vip"], within_s={"general": 20.0, "vip": 15.0, **kw},
    )  # fmt: skip


def test_a_day_has_96_intervals_aligned_on_local_quarter_hours() -> None:
    starts = bucket_starts(local("2026-12-05T00:00"), local("2026-12-06T00:00"), SH)
    assert len(starts) == 96
    assert starts[0].isoformat() == "2026-12-05T00:00:00+08:00"
    assert starts[-1].isoformat() == "2026-12-05T23:45:00+08:00"
    # a UTC time on the edge: 16:00Z is local midnight
    assert floor_bucket(datetime(2026, 12, 4, 16, 0, tzinfo=UTC), SH) == local("2026-12-05T00:00")
    assert floor_bucket(local("2026-12-05T09:14:59.999"), SH) == local("2026-12-05T09:00")
    assert ceil_bucket(local("2026-12-05T09:15"), SH) == local("2026-12-05T09:15")
    assert ceil_bucket(local("2026-12-05T23:50"), SH) == local("2026-12-06T00:00")


def test_offers_pair_each_enqueue_with_its_exit() -> None:
    facts = [
        fact("c1", 1, "09:00:00", "enqueue", queue="general", ended="09:05"),
        fact("c1", 2, "09:00:12", "queue", outcome="answered", ended="09:05"),
        fact("c1", 3, "09:05:00", "end", outcome="answered", ended="09:05"),
        fact("c2", 2, "09:01:30", "end", outcome="abandoned", ended="09:01:30"),
        fact("c2", 1, "09:01:00", "enqueue", queue="vip", ended="09:01:30"),
        fact("c3", 1, "09:02:00", "enqueue", queue="general", ended="09:30"),
        fact("c3", 2, "09:17:00", "queue", outcome="timeout", ended="09:30"),
        fact("c3", 3, "09:17:01", "enqueue", queue="vip", ended="09:30"),
        fact("c3", 4, "09:30:00", "end", outcome="hangup", ended="09:30"),
        fact("c4", 1, "09:03:00", "enqueue", queue="general"),  # still waiting
        fact("c5", 1, "09:04:00", "enqueue", queue="general", ended="09:06"),
        fact("c6", 1, "09:04:00", "end", outcome="caller_hangup", ended="09:04"),
    ]  # fmt: skip
    assert offers_from(facts) == [
        offer("general", "09:00:00", "answered", "09:00:12", "09:05"),
        offer("vip", "09:01:00", "abandoned", "09:01:30", "09:01:30"),
        offer("general", "09:02:00", "timeout", "09:17:00", "09:30"),
        offer("vip", "09:17:01", "lost", "09:30:00", "09:30"),
        offer("general", "09:03:00", "waiting", None),
        offer("general", "09:04:00", "lost", "09:06", "09:06"),
    ]  # fmt: skip


def test_a_second_enqueue_without_an_exit_closes_the_first_as_lost() -> None:
    facts = [
        fact("c1", 1, "09:00", "enqueue", queue="general", ended="09:10"),
        fact("c1", 2, "09:02", "enqueue", queue="vip", ended="09:10"),
        fact("c1", 3, "09:03", "queue", outcome="answered", ended="09:10"),
    ]
    assert [(o.queue, o.result) for o in offers_from(facts)] == [
        ("general", "lost"),
        ("vip", "answered"),
    ]


def test_empty_intervals_are_rows_of_zeros_for_every_queue() -> None:
    rows, totals = report([], "2026-12-05T09:00", "2026-12-05T09:30")
    assert [(r.start.isoformat(), r.queue) for r in rows] == [
        ("2026-12-05T09:00:00+08:00", "general"),
        ("2026-12-05T09:00:00+08:00", "vip"),
        ("2026-12-05T09:15:00+08:00", "general"),
        ("2026-12-05T09:15:00+08:00", "vip"),
    ]
    assert rows[0] == IntervalRow(
        local("2026-12-05T09:00"), local("2026-12-05T09:15"), "general",
        0, 0, 0, 0, None, None, None, None, None, 0,
    )  # fmt: skip
    assert [(t.queue, t.offered, t.end.isoformat()) for t in totals] == [
        (TOTAL, 0, "2026-12-05T09:15:00+08:00"),
        (TOTAL, 0, "2026-12-05T09:30:00+08:00"),
    ]


def test_an_offer_belongs_to_the_interval_it_was_offered_in() -> None:
    offers = [
        offer("general", "09:14:59", "answered", "09:15:30", "09:20"),
        offer("general", "09:15:00", "answered", "09:15:05", "09:16"),
    ]  # fmt: skip
    rows, totals = report(offers, "2026-12-05T09:00", "2026-12-05T09:30")
    first, second = rows[0], rows[2]
    assert (first.offered, first.answered, first.answered_in_sl) == (1, 1, 0)  # 31 s > 20 s
    assert (second.offered, second.answered, second.answered_in_sl) == (1, 1, 1)
    assert (first.avg_handle_s, second.avg_handle_s) == (270.0, 55.0)
    assert [t.offered for t in totals] == [1, 1]


def test_answered_abandoned_service_level_and_waits() -> None:
    offers = [
        offer("general", "10:00:00", "answered", "10:00:20", "10:03:20"),
        offer("general", "10:01:00", "answered", "10:01:21", "10:02:21"),
        offer("general", "10:02:00", "abandoned", "10:02:45", "10:02:45"),
        offer("general", "10:03:00", "timeout", "10:13:00", "10:14"),
        offer("vip", "10:04:00", "answered", "10:04:16", None),  # talking
    ]  # fmt: skip
    rows, totals = report(offers, "2026-12-05T10:00", "2026-12-05T10:15")
    general, vip = rows
    assert (general.offered, general.answered, general.abandoned) == (4, 2, 1)
    assert general.answered_in_sl == 1  # 20 s is within 20 s (inclusive); 21 s is not
    assert general.service_level_pct == 50.0
    assert general.abandon_rate_pct == 33.3
    assert general.avg_wait_s == round((20 + 21 + 45 + 600) / 4, 1)
    assert general.longest_wait_s == 600.0
    assert general.avg_handle_s == 120.0  # (180 + 60) / 2
    assert (vip.answered, vip.answered_in_sl, vip.avg_handle_s) == (1, 0, None)  # 16 s > 15 s
    total = totals[0]
    assert (total.offered, total.answered, total.abandoned, total.answered_in_sl) == (5, 3, 1, 1)
    assert total.service_level_pct == 33.3


def test_midnight_splits_days_in_local_time() -> None:
    offers = [
        offer("general", "23:59:59", "abandoned", "2026-12-06T00:00:10"),
        offer("general", "2026-12-06T00:00:00", "answered", "2026-12-06T00:00:05"),
    ]
    _rows, totals = report(offers, "2026-12-05T23:45", "2026-12-06T00:15", now="2026-12-06T01:00")
    assert [(t.start.isoformat(), t.offered, t.abandoned, t.answered) for t in totals] == [
        ("2026-12-05T23:45:00+08:00", 1, 1, 0),
        ("2026-12-06T00:00:00+08:00", 1, 0, 1),
    ]
    # the caller who waited across midnight was waiting in both intervals
    assert [t.max_waiting for t in totals] == [1, 2]


def test_max_waiting_counts_callers_waiting_at_once_up_to_now() -> None:
    offers = [
        offer("general", "09:10", "answered", "09:20"),
        offer("general", "09:12", "abandoned", "09:13"),
        offer(
            "general", "2026-12-05T09:13", "answered", "2026-12-05T09:14"
        ),  # enters as one leaves
        offer("general", "09:50", "waiting", None),  # still waiting at now
        offer("general", "09:40", "lost", "09:40"),  # never waited
    ]
    starts = bucket_starts(local("2026-12-05T09:00"), local("2026-12-06T10:15"), SH)[:5]
    peaks = max_waiting(offers, starts, local("2026-12-05T10:05"))
    assert peaks == [2, 1, 0, 1, 1]  # 09:00, 09:15 (carried in), 09:30, 09:45, 10:00


RESULTS: tuple[Result, ...] = ("answered", "abandoned", "timeout", "overflow", "lost", "waiting")


@st.composite
def offers_strategy(draw: st.DrawFn) -> list[QueueStay]:
    out = []
    for _ in range(draw(st.integers(0, 30))):
        entered = local("2026-12-05T08:00") + timedelta(seconds=draw(st.integers(0, 4 * 3600)))
        result = draw(st.sampled_from(RESULTS))
        left = (
            None if result == "waiting" else entered + timedelta(seconds=draw(st.integers(0, 900)))
        )
        ended = None if left is None else left + timedelta(seconds=draw(st.integers(0, 600)))
        out.append(
            QueueStay(draw(st.sampled_from(["general", "vip"])), entered, result, left, ended)
        )
    return out


@settings(max_examples=200, deadline=None)
@given(offers=offers_strategy())
def test_totals_are_the_sum_of_the_queues_and_every_offer_is_counted_once(
    offers: list[QueueStay],
) -> None:
    rows, totals = report(offers, "2026-12-05T08:00", "2026-12-05T12:15", now="2026-12-05T13:00")
    assert (len(totals), len(rows)) == (17, 2 * 17)
    assert sum(t.offered for t in totals) == len(offers)
    for n, total in enumerate(totals):
        mine = rows[2 * n : 2 * n + 2]
        for name in ("offered", "answered", "abandoned", "answered_in_sl"):
            assert getattr(total, name) == sum(getattr(r, name) for r in mine)
        assert total.answered + total.abandoned <= total.offered
        assert total.answered_in_sl <= total.answered
        assert max(r.max_waiting for r in mine) <= total.max_waiting
        assert total.max_waiting <= sum(r.max_waiting for r in mine)
