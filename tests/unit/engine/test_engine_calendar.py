"""Trading calendar and simulator fakes: sessions, night sessions past midnight, holidays."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.engine.simfake import FakeProviders

HOLIDAYS = {date(2026, 2, 16): "Spring Festival", date(2026, 2, 17): "Spring Festival"}
CAL = replace(DEFAULT_CALENDAR, holidays=HOLIDAYS)


@pytest.mark.parametrize(
    ("when", "session"),
    [
        (datetime(2026, 1, 5, 9, 0), "day"),
        (datetime(2026, 1, 5, 10, 20), None),  # morning break
        (datetime(2026, 1, 5, 15, 0), None),
        (datetime(2026, 1, 5, 21, 30), "night"),
        (datetime(2026, 1, 6, 2, 29), "night"),  # Monday's night session past midnight
        (datetime(2026, 1, 9, 23, 0), "night"),  # Friday night
        (datetime(2026, 1, 10, 1, 0), "night"),  # ... into Saturday morning
        (datetime(2026, 1, 10, 10, 0), None),  # Saturday
        (datetime(2026, 2, 13, 21, 30), None),  # Friday before a holiday week: no night session
        (datetime(2026, 2, 16, 10, 0), None),  # holiday
    ],
)
def test_sessions(when: datetime, session: str | None) -> None:
    assert CAL.session_at(when) == session


def test_fake_providers_sample_data_and_lock() -> None:
    fake = FakeProviders()
    assert fake.lookup("caller_profile", {"caller": "13800000001"}) == (
        "vip",
        {"vip_tier": "gold", "account_masked": "****5678", "language": "zh-CN"},
    )
    assert fake.lookup("verify_account", {"account": "12345678", "pin": "123456"})[0] == "ok"
    results = [
        fake.lookup("verify_account", {"account": "12345678", "pin": "000000"})[0] for _ in range(4)
    ]
    assert results == ["fail", "fail", "locked", "locked"]
    assert fake.lookup("account_status", {"account": "87654321"})[1]["risk_level"] == "high"
    assert fake.lookup("trade_query", {"account": "87654321"}) == (
        "none",
        {"trade_count": 0, "trades": ""},
    )
    assert fake.lookup("create_ticket", {"kind": "complaint"}) == ("ok", {"ticket_id": "T0001"})
    assert fake.lookup("no_such", {}) == ("error", {})


def test_iter_prompts_lists_every_prompt_per_language() -> None:
    from pathlib import Path

    from ivr.engine import iter_prompts, load_checked
    from ivr.engine.model import TtsContent

    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "flows" / "basic"
    uses = list(iter_prompts(load_checked([fixtures])))
    first = uses[0]
    assert (first.flow, first.node, first.field, first.language) == (
        "emergency",
        "notice",
        "prompt",
        "zh-CN",
    )
    assert first.content == TtsContent("本通话将被录音。")
    assert {u.language for u in uses} == {"zh-CN", "en"}
    assert ("hotline", "defaults", "no_input_prompt", "en") in {
        (u.flow, u.node, u.field, u.language) for u in uses
    }


MARKET_FLOW = b"""\
flow: market
languages: [zh-CN]
start: check
nodes:
  check:
    type: branch
    cases:
      - when: {market_open: true}
        next: open_line
    otherwise: closed_line
  open_line: {type: hangup, reason: open}
  closed_line: {type: hangup, reason: closed}
"""
NEW_YEAR_10AM = datetime(2026, 1, 1, 10, 0)  # a Thursday, exchange holiday


def market_reason(tmp_path, calendar: object | None, now: datetime) -> str | None:
    from ivr.engine import CallStarted, Context, load_checked, start

    path = tmp_path / "market.yaml"
    path.write_bytes(MARKET_FLOW)
    flows = load_checked([path], Context(calendar=calendar))  # type: ignore[arg-type]
    state, _ = start(flows, "market", CallStarted("1", "2", None, now, {}))
    assert state.outcome is not None
    return state.outcome.reason


def test_market_open_uses_the_calendar_passed_in_the_context(tmp_path) -> None:
    from ivr.engine.tradingcal import load_trading_calendar

    root = Path(__file__).resolve().parents[3]
    shipped = load_trading_calendar(root / "config" / "trading_calendar.yaml")
    assert market_reason(tmp_path, None, NEW_YEAR_10AM) == "open"  # built-in: no holidays
    assert market_reason(tmp_path, shipped, NEW_YEAR_10AM) == "closed"
    assert market_reason(tmp_path, shipped, datetime(2026, 1, 5, 10, 0)) == "open"
