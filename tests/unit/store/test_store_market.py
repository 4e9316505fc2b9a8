"""Trading sessions (pure): open/closed, session name and the next opening."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest

from ivr.engine.calendar import DEFAULT_CALENDAR, MarketStatus
from ivr.engine.tradingcal import load_trading_calendar
from ivr.metrics import Metrics
from ivr.providers.market import check_coverage, market_status


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


def test_start_up_coverage_check_warns_and_sets_the_metric(
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = Path(__file__).resolve().parents[3]
    calendar = load_trading_calendar(root / "config" / "trading_calendar.yaml")
    metrics = Metrics()
    with caplog.at_level(logging.WARNING, logger="ivr.providers.market"):
        assert check_coverage(calendar, date(2026, 12, 10), metrics).ok
        assert caplog.messages == []
        assert not check_coverage(calendar, date(2027, 1, 10), metrics).ok
    assert caplog.messages == [
        "the trading calendar covers only through 2027-01-31, but calls need it through "
        "2027-02-09: add the 2027 exchange holidays to config/trading_calendar.yaml"
    ]
    assert b"ivr_trading_calendar_days_ahead 21.0" in metrics.render()
