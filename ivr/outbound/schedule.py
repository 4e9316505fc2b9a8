"""The dialer's pure scheduler: which due calls to dial now, which to hold for their window.

    plan = choose(due, now=now, in_flight=3, pacer=pacer, pacing=pacing,
                  policies=policies, calendar=calendar)
    # plan.dial: ids to originate now; plan.hold: (id, epoch s) to push back; plan.pacer

Pacing: never more than `max_concurrent` legs out; starts spaced `1 / calls_per_s` apart. The
`Pacer` keeps the cadence when passes run a little late (the next start is one interval after
the previous *slot*, not after the late pass) and restarts it after an idle spell (no burst to
"catch up"). So each pass dials at most one call; the shell wakes at `pacer.next_free_s`.

Windows: a due call whose kind's window is shut is held until it opens (`policy.opens_at`),
asked once per kind per pass. Order: margin notices before other kinds, then the order given
(the store gives oldest due first).

Rules: pure; `now` is given (aware datetime); no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ivr.engine.calendar import TradingCalendar
from ivr.outbound.policy import KindPolicy, opens_at

KIND_ORDER = {"margin_notice": 0}  # other kinds after it


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    kind: str


@dataclass(frozen=True, slots=True)
class Pacing:
    max_concurrent: int
    calls_per_s: float

    @property
    def interval_s(self) -> float:
        return 1.0 / self.calls_per_s


@dataclass(frozen=True, slots=True)
class Pacer:
    next_free_s: float = 0.0  # epoch seconds of the next allowed start

    def started(self, now_s: float, interval_s: float) -> Pacer:
        late_s = now_s - self.next_free_s
        base = self.next_free_s if 0 <= late_s < interval_s else now_s
        return replace(self, next_free_s=base + interval_s)


@dataclass(frozen=True, slots=True)
class Plan:
    dial: tuple[int, ...]
    hold: tuple[tuple[int, float], ...]
    pacer: Pacer


def choose(
    due: Sequence[Due],
    *,
    now: datetime,
    in_flight: int,
    pacer: Pacer,
    pacing: Pacing,
    policies: Mapping[str, KindPolicy],
    calendar: TradingCalendar,
) -> Plan:
    """The calls to dial now (at most one, see the module doc) and those to hold."""
    now_s = now.timestamp()
    opens: dict[str, float] = {}
    dial: list[int] = []
    hold: list[tuple[int, float]] = []
    free = pacing.max_concurrent - in_flight
    for item in sorted(due, key=lambda d: KIND_ORDER.get(d.kind, 1)):
        if item.kind not in opens:
            opens[item.kind] = opens_at(policies[item.kind].window, now, calendar).timestamp()
        if opens[item.kind] > now_s:
            hold.append((item.id, opens[item.kind]))
            continue
        if free <= 0 or pacer.next_free_s > now_s:
            continue
        dial.append(item.id)
        free -= 1
        pacer = pacer.started(now_s, pacing.interval_s)
    return Plan(tuple(dial), tuple(hold), pacer)


def result_of_cause(cause: int | None) -> str:
    """The attempt result of a leg that ended before it was answered (Q.850 cause)."""
    if cause == 17:
        return "busy"
    if cause in (18, 19):
        return "no_answer"
    return "failed"
