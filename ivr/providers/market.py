"""Trading sessions of the Chinese futures market, as a pure function of local wall time.

Rules: pure (no clock read; the caller passes `now` in Asia/Shanghai local time). Sessions
follow `docs/flows.md`: day 09:00-10:15, 10:30-11:30, 13:30-15:00 and night 21:00-02:30 on
trading days (Monday to Friday; the Friday night session runs into Saturday 02:30). Public
holidays are not modelled (a trading calendar file can refine this later).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

_DAY = ((time(9, 0), time(10, 15)), (time(10, 30), time(11, 30)), (time(13, 30), time(15, 0)))
_NIGHT_START = time(21, 0)
_NIGHT_END = time(2, 30)


@dataclass(frozen=True, slots=True)
class MarketStatus:
    open: bool
    session: str  # day | night | closed
    next_open: datetime | None  # None while open


def _trading_day(moment: datetime) -> bool:
    return moment.weekday() < 5


def _session_at(now: datetime) -> str | None:
    clock = now.time()
    if _trading_day(now) and any(start <= clock < end for start, end in _DAY):
        return "day"
    if _trading_day(now) and clock >= _NIGHT_START:
        return "night"
    if clock < _NIGHT_END and _trading_day(now - timedelta(days=1)):
        return "night"
    return None


def _starts(day: datetime) -> list[datetime]:
    if not _trading_day(day):
        return []
    times = [start for start, _ in _DAY] + [_NIGHT_START]
    return [day.replace(hour=t.hour, minute=t.minute, second=0, microsecond=0) for t in times]


def _next_open(now: datetime) -> datetime:
    for days in range(8):
        for start in _starts(now + timedelta(days=days)):
            if start > now:
                return start
    raise AssertionError("no trading session within a week")  # unreachable: Mon-Fri trade


def market_status(now: datetime) -> MarketStatus:
    """Whether the market is open at local time `now`, which session, and the next opening."""
    session = _session_at(now)
    if session is not None:
        return MarketStatus(open=True, session=session, next_open=None)
    return MarketStatus(open=False, session="closed", next_open=_next_open(now))
