"""Interval reports of the queues, pure: call-record trace facts in, 15-minute rows out.

What a row counts (one queue or all of them, one interval):
- an **offer** is one entry of a call into a queue (trace `enqueue`); it belongs to the interval
  in which it was offered, with everything that happened to it afterwards;
- **answered**: an agent took it (trace `queue` outcome `answered`); **answered_in_sl**: after a
  wait of at most the queue's `service_level.within_s` (inclusive, as the live wallboard counts);
- **abandoned**: the caller hung up while waiting (trace `end` outcome `abandoned`, or a `queue`
  outcome `abandoned`); a timeout or overflow to another node is offered but neither;
- **service_level_pct** = answered_in_sl / answered and **abandon_rate_pct** = abandoned /
  (answered + abandoned), the definitions of the live wallboard (None when the divisor is 0);
- **wait**: from entering the queue to leaving it (answered, abandoned, timed out, overflowed
  or lost); averages and maxima over the offers that have left; **handle**: from the agent's
  answer to the end of the call (talk and hold; wrap-up not included), answered calls that ended;
- **max_waiting**: the most callers waiting at once at any moment of the interval (callers
  still waiting count up to `now`).

Rules: no I/O, no clock (`now` is an argument); intervals are aligned on 15 minutes of local
wall time in `zone` and step 15 minutes of real time, so a day of a zone without daylight
saving (Asia/Shanghai) has exactly 96; every interval of the range is present, empty ones
with zeros. Times out are aware datetimes in `zone`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import groupby
from typing import Literal, Protocol

BUCKET = timedelta(minutes=15)
TOTAL = "(all)"  # the queue column of the rows summing every queue
Result = Literal["answered", "abandoned", "timeout", "overflow", "lost", "waiting"]
_LEFT: frozenset[str] = frozenset({"answered", "abandoned", "timeout", "overflow"})


class FactLike(Protocol):
    """What `offers_from` reads: the store's `QueueFact` fits, and so does `TraceFact`."""

    @property
    def call_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def call_ended_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class TraceFact:
    """One trace entry that matters to queues, with its call's end."""

    call_id: str
    seq: int
    at: datetime
    kind: str  # enqueue | queue | end
    queue: str | None
    outcome: str | None  # `queue`: answered/timeout/overflow/abandoned; `end`: the call's
    call_ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class QueueStay:
    """One call's stay in one queue."""

    queue: str
    offered_at: datetime
    result: Result
    left_at: datetime | None  # None: still waiting
    call_ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class IntervalRow:
    start: datetime
    end: datetime
    queue: str  # a queue name, or TOTAL
    offered: int
    answered: int
    abandoned: int
    answered_in_sl: int
    service_level_pct: float | None
    abandon_rate_pct: float | None
    avg_wait_s: float | None
    longest_wait_s: float | None
    avg_handle_s: float | None
    max_waiting: int


def offers_from(facts: Iterable[FactLike]) -> list[QueueStay]:
    """Pair each `enqueue` with what ended that stay, call by call (facts in any order)."""
    offers: list[QueueStay] = []
    ordered = sorted(facts, key=lambda f: (f.call_id, f.seq))
    for _call, group in groupby(ordered, key=lambda f: f.call_id):
        entered: FactLike | None = None
        ended_at: datetime | None = None
        for fact in group:
            ended_at = fact.call_ended_at
            if fact.kind == "enqueue":
                if entered is not None:  # entered again without a recorded exit
                    offers.append(_offer(entered, "lost", fact.at))
                entered = fact
            elif entered is None:
                continue
            elif fact.kind == "queue" and fact.outcome in _LEFT:
                offers.append(_offer(entered, fact.outcome, fact.at))  # type: ignore[arg-type]
                entered = None
            elif fact.kind == "end":
                result: Result = "abandoned" if fact.outcome == "abandoned" else "lost"
                offers.append(_offer(entered, result, fact.at))
                entered = None
        if entered is not None:
            left: Result = "waiting" if ended_at is None else "lost"
            offers.append(_offer(entered, left, ended_at))
    return offers


def _offer(entered: FactLike, result: Result, left_at: datetime | None) -> QueueStay:
    return QueueStay(entered.queue or "", entered.at, result, left_at, entered.call_ended_at)


def floor_bucket(at: datetime, zone: tzinfo) -> datetime:
    """The start of the 15-minute interval holding `at`, in `zone`."""
    local = at.astimezone(zone)
    return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)


def ceil_bucket(at: datetime, zone: tzinfo) -> datetime:
    """`at` if it starts an interval, else the start of the next one, in `zone`."""
    start = floor_bucket(at, zone)
    return start if start == at else (start + BUCKET).astimezone(zone)


def bucket_starts(start: datetime, end: datetime, zone: tzinfo) -> list[datetime]:
    """Every interval start from `floor_bucket(start)` until `end` (exclusive)."""
    out, at = [], floor_bucket(start, zone)
    while at < end:
        out.append(at)
        at = (at + BUCKET).astimezone(zone)
    return out


def intervals(
    offers: Iterable[QueueStay],
    *,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    now: datetime,
    queues: Sequence[str],
    within_s: Mapping[str, float],
    default_within_s: float = 20.0,
) -> tuple[list[IntervalRow], list[IntervalRow]]:
    """(rows per interval and queue in `queues` order, one total row per interval).

    Offers of queues not in `queues` count in the totals only."""
    starts = bucket_starts(start, end, zone)
    every = list(offers)
    per_queue = [
        _rows([o for o in every if o.queue == q], starts, q, zone, now, within_s, default_within_s)
        for q in queues
    ]
    rows = [queue_rows[n] for n in range(len(starts)) for queue_rows in per_queue]
    totals = _rows(every, starts, TOTAL, zone, now, within_s, default_within_s)
    return rows, totals


def _rows(
    offers: Sequence[QueueStay],
    starts: Sequence[datetime],
    queue: str,
    zone: tzinfo,
    now: datetime,
    within_s: Mapping[str, float],
    default_within_s: float,
) -> list[IntervalRow]:
    if not starts:
        return []
    peaks = max_waiting(offers, starts, now)
    offered: dict[datetime, list[QueueStay]] = {}
    for o in offers:
        offered.setdefault(floor_bucket(o.offered_at, zone), []).append(o)
    out = []
    for at, peak in zip(starts, peaks, strict=True):
        until = (at + BUCKET).astimezone(zone)
        mine = offered.get(at, [])
        out.append(_row(mine, at, until, queue, peak, within_s, default_within_s))
    return out


def _row(
    offers: Sequence[QueueStay],
    start: datetime,
    end: datetime,
    queue: str,
    peak: int,
    within_s: Mapping[str, float],
    default_within_s: float,
) -> IntervalRow:
    answered = [o for o in offers if o.result == "answered"]
    abandoned = sum(1 for o in offers if o.result == "abandoned")
    waits = [_seconds(o.left_at - o.offered_at) for o in offers if o.left_at is not None]
    in_sl = sum(
        1 for o, w in _answer_waits(answered) if w <= within_s.get(o.queue, default_within_s)
    )
    handles = [
        _seconds(o.call_ended_at - o.left_at)
        for o in answered
        if o.call_ended_at is not None and o.left_at is not None
    ]
    return IntervalRow(
        start=start,
        end=end,
        queue=queue,
        offered=len(offers),
        answered=len(answered),
        abandoned=abandoned,
        answered_in_sl=in_sl,
        service_level_pct=_pct(in_sl, len(answered)),
        abandon_rate_pct=_pct(abandoned, len(answered) + abandoned),
        avg_wait_s=_mean(waits),
        longest_wait_s=round(max(waits), 1) if waits else None,
        avg_handle_s=_mean(handles),
        max_waiting=peak,
    )


def _answer_waits(answered: Sequence[QueueStay]) -> list[tuple[QueueStay, float]]:
    return [(o, _seconds(o.left_at - o.offered_at)) for o in answered if o.left_at is not None]


def max_waiting(
    offers: Iterable[QueueStay], starts: Sequence[datetime], now: datetime
) -> list[int]:
    """For each interval starting at `starts` (consecutive, 15 minutes each), the most offers
    waiting at the same moment; an offer waits from `offered_at` until `left_at` (or `now`)."""
    changes: list[tuple[datetime, int]] = []
    for o in offers:
        left = o.left_at if o.left_at is not None else now
        if left > o.offered_at:
            changes += [(o.offered_at, 1), (left, -1)]
    changes.sort(key=lambda c: (c[0], c[1]))  # a leave before an entry at the same instant
    out, level, i = [], 0, 0
    for at in starts:
        while i < len(changes) and changes[i][0] <= at:
            level += changes[i][1]
            i += 1
        peak, until = level, at + BUCKET
        while i < len(changes) and changes[i][0] < until:
            level += changes[i][1]
            peak = max(peak, level)
            i += 1
        out.append(peak)
    return out


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
