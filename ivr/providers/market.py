"""The `market_status` lookup's view of the trading calendar (pure).

Rules: no clock read and no session rule here: the caller passes the `TradingCalendar`
(`ivr.engine.calendar`: the built-in `DEFAULT_CALENDAR`, or the one loaded from
`config/trading_calendar.yaml`) and `now`. The answer is the calendar's `MarketStatus` as the
lookup speaks it (`docs/flows.md`, "Lookup providers"): `session` is the trading session's name,
or `closed` with the next opening in the same form as `now` (local wall time when `now` is
naive, the calendar's timezone when aware). `check_coverage` is the start-up check that the
calendar knows the next 30 days' holidays (a warning and the `ivr_trading_calendar_days_ahead`
metric; `ivr calendar check` is the same check as a command).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from ivr.engine.calendar import Coverage, MarketStatus, TradingCalendar, coverage
from ivr.metrics import Metrics

log = logging.getLogger(__name__)

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


def check_coverage(calendar: TradingCalendar, today: date, metrics: Metrics) -> Coverage:
    """Set the coverage metric; warn when the next 30 days' holidays are not known (agents'
    hours and the market would take a holiday for a working day)."""
    cover = coverage(calendar, today)
    metrics.calendar_days_ahead.set(cover.days_ahead)
    if not cover.ok:
        log.warning("%s", cover.message())
    return cover
