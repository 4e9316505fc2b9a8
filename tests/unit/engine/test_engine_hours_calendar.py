"""Agents' hours and the market from the trading calendar: holidays, weekends, night sessions,
through `ivr flows simulate --now` on the shipped flows; `ivr calendar check` coverage."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.engine.calendar import DEFAULT_CALENDAR, coverage, market_answer
from ivr.engine.conditions import in_hours
from ivr.engine.model import Window
from ivr.engine.tradingcal import load_trading_calendar
from ivr.errors import ErrorList
from tests.unit.engine.helpers_engine import errors_of

ROOT = Path(__file__).resolve().parents[3]
CALENDAR = load_trading_calendar(ROOT / "config" / "trading_calendar.yaml")
WEEKDAYS = frozenset(range(5))
DAY = Window(WEEKDAYS, 8 * 60 + 30, 17 * 60 + 30, "trading_day")
EVENING = Window(WEEKDAYS, 20 * 60 + 30, 23 * 60, "night_session")
LATE = Window(WEEKDAYS, 21 * 60, 60, "night_session")  # 21:00-01:00, across midnight


@pytest.mark.parametrize(
    ("now", "windows", "expected"),
    [
        (datetime(2026, 11, 25, 10, 0), (DAY,), True),  # a Wednesday
        (datetime(2026, 10, 1, 10, 0), (DAY,), False),  # National Day, a Thursday
        (datetime(2026, 10, 8, 10, 0), (DAY,), True),  # first trading day after it
        (datetime(2026, 11, 25, 21, 30), (EVENING,), True),
        (datetime(2026, 9, 30, 21, 30), (EVENING,), False),  # eve of the holiday: no night
        (datetime(2026, 12, 4, 21, 30), (EVENING,), True),  # Friday night trades
        (datetime(2026, 12, 5, 0, 30), (LATE,), True),  # Saturday 00:30: Friday's night
        (datetime(2026, 10, 1, 0, 30), (LATE,), False),  # 00:30 after the holiday's eve
        (datetime(2026, 10, 1, 10, 0), (Window(WEEKDAYS, 510, 1050),), True),  # fixed hours
    ],
)
def test_windows_tied_to_the_calendar(
    now: datetime, windows: tuple[Window, ...], expected: bool
) -> None:
    assert in_hours(now, windows, CALENDAR) is expected


def test_a_window_calendar_value_is_checked() -> None:
    body = """\
flow: t
languages: [zh-CN]
start: bye
business_hours:
  - {days: [mon], open: "09:00", close: "17:00", calendar: holidays}
nodes:
  bye: {type: hangup}
"""
    assert errors_of(body) == [
        "flows/t.yaml:5:60: business_hours: 'calendar' must be trading_day or night_session "
        "(got a string 'holidays')"
    ]


def test_market_answer_is_the_calendars() -> None:
    assert market_answer(CALENDAR, datetime(2026, 11, 25, 10, 0)) == (
        "open",
        {"session": "am-1", "next_open": None},
    )
    assert market_answer(CALENDAR, datetime(2026, 10, 1, 10, 0)) == (
        "closed",
        {"session": "closed", "next_open": datetime(2026, 10, 8, 9, 0)},
    )


def test_coverage_of_the_calendar() -> None:
    assert coverage(CALENDAR, date(2026, 12, 10)).ok  # 2027 known through January
    short = coverage(CALENDAR, date(2027, 1, 10))
    assert (short.ok, short.days_ahead) == (False, 21)
    assert short.message() == (
        "the trading calendar covers only through 2027-01-31, but calls need it through "
        "2027-02-09: add the 2027 exchange holidays to config/trading_calendar.yaml"
    )
    whole_years = replace(CALENDAR, known_through=None)
    assert whole_years.covered_until() == date(2027, 12, 31)
    last_year = replace(CALENDAR, known_through=date(2026, 12, 31))
    assert (
        coverage(last_year, date(2026, 12, 10))
        .message()
        .endswith("add the 2027 exchange holidays to config/trading_calendar.yaml")
    )
    empty = coverage(DEFAULT_CALENDAR, date(2026, 12, 10))
    assert (empty.ok, empty.days_ahead) == (False, 0)
    assert empty.message().startswith("the trading calendar lists no holidays")


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    (tmp_path / "config").mkdir()
    for name in ("queues.yaml", "trading_calendar.yaml"):
        shutil.copy(ROOT / "config" / name, tmp_path / "config" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def simulate(
    capsys: pytest.CaptureFixture[str], flow: str, inputs: str, now: str
) -> dict[str, object]:
    assert main(["flows", "simulate", flow, "--inputs", inputs, "--now", now, "--json"]) == 0
    body: dict[str, object] = json.loads(capsys.readouterr().out)
    return body


@pytest.mark.parametrize(
    ("now", "node"),
    [
        ("2026-11-25T10:00", "general_queue"),  # Wednesday: agents
        ("2026-10-01T10:00", "closed_offer"),  # National Day: callback or message
        ("2026-10-03T10:00", "closed_offer"),  # Saturday
        ("2026-09-30T21:30", "closed_offer"),  # eve of the holiday: no night session
        ("2026-12-04T21:30", "general_queue"),  # Friday night session: the evening desk
        ("2026-11-25T18:30", "closed_offer"),  # between the day and the evening hours
    ],
)
def test_agent_hours_follow_the_calendar(
    shipped: Path, capsys: pytest.CaptureFixture[str], now: str, node: str
) -> None:
    assert simulate(capsys, "hotline", "1,0", now)["node"] == node


@pytest.mark.parametrize(
    ("now", "node", "heard"),
    [
        ("2026-11-25T10:00", "get_account", "请输入您的资金账号"),
        ("2026-12-05T01:00", "get_account", "请输入您的资金账号"),  # Friday's night session
        ("2026-12-05T10:00", "market_closed", "下一交易时段开始时间：十二月七日上午九点。"),
        ("2026-10-01T10:00", "market_closed", "下一交易时段开始时间：十月八日上午九点。"),
    ],
)
def test_simulated_market_status_honours_now_and_the_calendar(
    shipped: Path, capsys: pytest.CaptureFixture[str], now: str, node: str, heard: str
) -> None:
    body = simulate(capsys, "emergency", "1", now)  # 95556: Mandarin chosen first
    prompts = body["prompts"]
    assert isinstance(prompts, list)
    assert body["node"] == node
    assert heard in prompts[-1]


def test_calendar_check_exit_status(shipped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calendar", "check", "--now", "2026-12-05T10:00"]) == 0
    assert capsys.readouterr().out == (
        "config/trading_calendar.yaml: the trading calendar covers through 2027-01-31 "
        "(57 days ahead; needed through 2027-01-04)\n"
    )
    assert main(["calendar", "check", "--now", "2027-01-10T10:00"]) == 1
    assert capsys.readouterr().out == (
        "config/trading_calendar.yaml: the trading calendar covers only through 2027-01-31, but "
        "calls need it through 2027-02-09: add the 2027 exchange holidays to "
        "config/trading_calendar.yaml\n"
    )
    (shipped / "config" / "trading_calendar.yaml").unlink()
    assert main(["calendar", "check", "--now", "2026-11-20T10:00"]) == 1
    assert capsys.readouterr().out.startswith(
        "the built-in calendar (config/trading_calendar.yaml not found): the trading calendar "
        "lists no holidays"
    )


def test_known_through_before_a_listed_holiday_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "config" / "trading_calendar.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "trading_calendar.yaml"
    bad.write_text(text.replace("known_through: 2027-01-31", "known_through: 2026-12-31"))
    with pytest.raises(ErrorList) as caught:
        load_trading_calendar(bad)
    line = text.splitlines().index("known_through: 2027-01-31") + 1
    assert str(caught.value) == (
        f"{bad}:{line}:16: 'known_through' 2026-12-31 is before the listed holiday 2027-01-01;"
        " set it to the last day whose closures are known"
    )
    assert CALENDAR.is_trading_day(date(2026, 12, 31))
    assert not CALENDAR.is_trading_day(date(2027, 1, 1))
