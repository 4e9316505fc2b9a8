"""Trading sessions (pure): open/closed, session name and the next opening."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.engine.calendar import DEFAULT_CALENDAR, MarketStatus
from ivr.providers.market import market_status


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 25, 9, 30), MarketStatus(True, "day", None)),  # Wednesday
        (
            datetime(2026, 11, 25, 10, 20),
            MarketStatus(False, "closed", datetime(2026, 11, 25, 10, 30)),
        ),
        (
            datetime(2026, 11, 25, 15, 0),
            MarketStatus(False, "closed", datetime(2026, 11, 25, 21, 0)),
        ),
        (datetime(2026, 11, 25, 22, 0), MarketStatus(True, "night", None)),
        (datetime(2026, 11, 26, 1, 0), MarketStatus(True, "night", None)),
        (datetime(2026, 11, 28, 1, 0), MarketStatus(True, "night", None)),  # Friday night -> Sat
        (datetime(2026, 11, 28, 3, 0), MarketStatus(False, "closed", datetime(2026, 11, 30, 9, 0))),
        (datetime(2026, 11, 30, 1, 0), MarketStatus(False, "closed", datetime(2026, 11, 30, 9, 0))),
    ],
)
def test_market_status(now: datetime, expected: MarketStatus) -> None:
    assert market_status(DEFAULT_CALENDAR, now) == expected
