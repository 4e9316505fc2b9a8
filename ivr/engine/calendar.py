"""Trading-session calendar (pure): is the futures market trading at a local wall time?

Model: trading days are Monday-Friday except `holidays`. Day sessions run on trading days; the
night session opens at `night_open` on a trading day whose next trading day follows directly
(no night session before a holiday break) and closes at `night_close` the next morning (Friday
night runs into Saturday morning). Defaults follow the Chinese futures exchanges: 09:00-10:15,
10:30-11:30, 13:30-15:00 and 21:00-02:30 (the longest night session).

The engine only needs `MarketCalendar.market_open(at)`: the shell may pass any object with it
through `Context(calendar=...)` (e.g. `ivr.engine.tradingcal.TradingCalendar`, loaded from
`config/trading_calendar.yaml` with the exchange holidays); this built-in one is the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

DAY_SESSIONS = (
    (time(9, 0), time(10, 15)),
    (time(10, 30), time(11, 30)),
    (time(13, 30), time(15, 0)),
)


class MarketCalendar(Protocol):
    """What the `market_open` condition asks: is the market trading at local wall time `at`?"""

    def market_open(self, at: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    day_sessions: tuple[tuple[time, time], ...] = DAY_SESSIONS
    night_open: time | None = time(21, 0)
    night_close: time = time(2, 30)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_trading_day(self, day: date) -> date:
        nxt = day + timedelta(days=1)
        for _ in range(60):
            if self.is_trading_day(nxt):
                return nxt
            nxt += timedelta(days=1)
        return nxt

    def has_night_session(self, day: date) -> bool:
        """A night session opens on `day` if it trades and no holiday follows before the next."""
        if self.night_open is None or not self.is_trading_day(day):
            return False
        gap = (self.next_trading_day(day) - day).days
        return gap == 1 or (day.weekday() == 4 and gap == 3)

    def session_at(self, now: datetime) -> str | None:
        """`day`, `night` or None (closed) at local wall time `now`."""
        day, clock = now.date(), now.time()
        if self.is_trading_day(day) and any(a <= clock < b for a, b in self.day_sessions):
            return "day"
        if self.night_open is not None:
            if clock >= self.night_open and self.has_night_session(day):
                return "night"
            if clock < self.night_close and self.has_night_session(day - timedelta(days=1)):
                return "night"
        return None

    def is_open(self, now: datetime) -> bool:
        return self.session_at(now) is not None

    def market_open(self, at: datetime) -> bool:
        return self.is_open(at)


DEFAULT_CALENDAR = TradingCalendar()
