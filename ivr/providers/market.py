"""The `market_status` lookup's view of the trading calendar (pure).

Rules: no clock read and no session rule here: the caller passes the `TradingCalendar`
(`ivr.engine.calendar`: the built-in `DEFAULT_CALENDAR`, or the one loaded from
`config/trading_calendar.yaml`) and `now`. The answer is the calendar's `MarketStatus` as the
lookup speaks it (`docs/flows.md`, "Lookup providers"): `session` is the trading session's name,
or `closed` with the next opening in the same form as `now` (local wall time when `now` is
naive, the calendar's timezone when aware).
"""

from __future__ import annotations

from datetime import datetime

from ivr.engine.calendar import MarketStatus, TradingCalendar

CLOSED = "closed"


def market_status(calendar: TradingCalendar, now: datetime) -> MarketStatus:
    """Whether the market is open at `now`, which session, and the next opening."""
    status = calendar.is_open(now)
    if status.open:
        return status
    next_open = status.next_open
    if next_open is not None and now.tzinfo is None:
        next_open = next_open.replace(tzinfo=None)
    return MarketStatus(False, CLOSED, next_open)
