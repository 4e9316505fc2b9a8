"""Per-kind dialing policy and its pure decisions: calling windows and what follows an attempt.

A `KindPolicy` (from `config/dialer.yaml`) says which flow a kind's calls run, which caller ID
they show, when they may ring (`Window`), how many attempts they get and how long to wait
after each retryable result. Results:
- `confirmed`, `agent_requested`: final (`confirmed`, `handed_to_agent`);
- `busy`, `no_answer`, `failed`, `no_confirmation`: retried after `retry_after_s[result]` until
  `max_attempts`, then final `unconfirmed` (the caller escalates it);
- `refused` (do-not-call, an invalid number): final `refused`, never dialled;
- `expired`: the call's own deadline (a margin notice's `deadline`) passed before it got
  through: final `expired` (escalated like `unconfirmed`: the client must still be told). A
  retry that would come at or after the deadline is `expired` at once.

Windows: `trading` is open during a trading session of the calendar and in the `lead_min`
minutes before one opens (breaks between sessions included when the next opens within the
lead); `daily` is open from `start` to `end` local time on trading days (no weekends, no
exchange holidays): a survey due at 22:00 waits until 09:00 of the next trading day.

Rules: pure. Times are timezone-aware datetimes given by the caller; nothing reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal, TypeAlias

from ivr.engine.calendar import TradingCalendar

RETRYABLE = ("busy", "no_answer", "failed", "no_confirmation")
RESULTS = (*RETRYABLE, "confirmed", "agent_requested", "refused", "expired")
FINAL_OF = {
    "confirmed": "confirmed",
    "agent_requested": "handed_to_agent",
    "refused": "refused",
    "expired": "expired",
}
ESCALATED = frozenset({"unconfirmed", "expired"})  # final statuses that go to a person
WindowKind: TypeAlias = Literal["trading", "daily"]


@dataclass(frozen=True, slots=True)
class Window:
    kind: WindowKind
    lead_min: int = 0  # trading: open this long before a session starts
    start: time = time(9, 0)  # daily: local opening time
    end: time = time(20, 0)  # daily: local closing time (exclusive)


@dataclass(frozen=True, slots=True)
class KindPolicy:
    name: str
    flow: str
    caller_id: str
    window: Window
    max_attempts: int
    retry_after_s: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Retry:
    """Dial again, not before `at`."""

    at: datetime


@dataclass(frozen=True, slots=True)
class NoMoreAttempts:
    """No more attempts; `status` is the call's final status."""

    status: str


def opens_at(window: Window, at: datetime, calendar: TradingCalendar) -> datetime:
    """`at` if the window is open then, else the next moment it opens."""
    local = calendar.local(at)
    if window.kind == "trading":
        return _trading_opens(window, local, calendar)
    return _daily_opens(window, local, calendar)


def _trading_opens(window: Window, at: datetime, calendar: TradingCalendar) -> datetime:
    if calendar.session_at(at) is not None:
        return at
    lead = timedelta(minutes=window.lead_min)
    upcoming = calendar.next_open(at)
    if upcoming is None:  # no session within the calendar's horizon: hold a day
        return at + timedelta(days=1)
    return at if upcoming - lead <= at else upcoming - lead


def _daily_opens(window: Window, at: datetime, calendar: TradingCalendar) -> datetime:
    day, clock = at.date(), at.time().replace(tzinfo=None)
    if calendar.is_trading_day(day):
        if window.start <= clock < window.end:
            return at
        if clock < window.start:
            return datetime.combine(day, window.start, at.tzinfo)
    following = calendar.next_trading_day(day)
    if following is None:
        return at + timedelta(days=1)
    return datetime.combine(following, window.start, at.tzinfo)


def after_attempt(
    policy: KindPolicy, attempt: int, result: str, now: datetime, deadline: datetime | None = None
) -> Retry | NoMoreAttempts:
    """What follows attempt number `attempt` (1-based) that ended with `result`; `deadline`:
    the call's own (no retry at or after it)."""
    if result in FINAL_OF:
        return NoMoreAttempts(FINAL_OF[result])
    if result not in RETRYABLE:
        raise ValueError(f"unknown outbound result {result!r}")
    if attempt >= policy.max_attempts:
        return NoMoreAttempts("unconfirmed")
    at = now + timedelta(seconds=policy.retry_after_s.get(result, 300.0))
    if deadline is not None and at >= deadline:
        return NoMoreAttempts("expired")
    return Retry(at)


def deadline_of(facts: Mapping[str, str]) -> datetime | None:
    """The call's deadline from its facts (ISO 8601 with an offset), if it has one."""
    text = facts.get("deadline")
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
