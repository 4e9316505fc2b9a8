"""Trading calendar: day, night past midnight, weekends, holidays, holiday eves; loader errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.engine.calendar import MarketStatus, TradingCalendar
from ivr.engine.tradingcal import load_trading_calendar, parse_trading_calendar
from ivr.errors import ErrorList

ROOT = Path(__file__).resolve().parents[3]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def cal() -> TradingCalendar:
    return load_trading_calendar(ROOT / "config" / "trading_calendar.yaml")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def closed_until(text: str) -> MarketStatus:
    return MarketStatus(False, None, at(text))


@pytest.mark.parametrize(
    ("when", "session"),
    [
        ("2026-11-25 09:00", "am-1"),  # Wednesday, first minute
        ("2026-11-25 10:29", None),  # the 10:15-10:30 break
        ("2026-11-25 11:00", "am-2"),
        ("2026-11-25 14:59", "pm"),
        ("2026-11-25 15:00", None),
        ("2026-11-25 21:00", "night"),
        ("2026-11-26 00:30", "night"),  # Wednesday's night session past midnight
        ("2026-11-26 02:29", "night"),
        ("2026-11-26 02:30", None),
    ],
)
def test_day_and_night_sessions_of_the_default_group(
    cal: TradingCalendar, when: str, session: str | None
) -> None:
    assert cal.session_at(at(when)) == session


def test_open_answer_carries_the_session_and_no_next_open(cal: TradingCalendar) -> None:
    assert cal.is_open(at("2026-11-25 13:45")) == MarketStatus(True, "pm", None)
    is_open, name, next_open = cal.is_open(at("2026-11-25 21:30"))
    assert (is_open, name, next_open) == (True, "night", None)


def test_0200_after_a_friday_night_session_is_open_for_gold_only(cal: TradingCalendar) -> None:
    saturday_2am = at("2026-11-28 02:00")
    assert cal.is_open(saturday_2am) == MarketStatus(True, "night", None)
    assert cal.is_open(saturday_2am, "base_metals") == closed_until("2026-11-30 09:00")
    assert cal.is_open(at("2026-11-28 00:30"), "base_metals").open
    assert cal.is_open(at("2026-11-27 23:30"), "evening") == closed_until("2026-11-30 09:00")


def test_weekend_daytime_is_closed_until_monday(cal: TradingCalendar) -> None:
    assert cal.is_open(at("2026-11-28 10:00")) == closed_until("2026-11-30 09:00")
    assert cal.is_open(at("2026-11-29 21:30")) == closed_until("2026-11-30 09:00")


def test_holiday_eve_has_no_night_session(cal: TradingCalendar) -> None:
    # Friday 2026-04-03: Monday 04-06 is Qingming, so no night session that Friday evening.
    assert cal.is_open(at("2026-04-03 14:00")).open
    assert cal.is_open(at("2026-04-03 21:30")) == closed_until("2026-04-07 09:00")
    assert cal.is_open(at("2026-04-04 01:00")) == closed_until("2026-04-07 09:00")
    # Wednesday 2026-09-30 before National Day: day session yes, night no.
    assert cal.is_open(at("2026-09-30 21:05")) == closed_until("2026-10-08 09:00")


def test_holidays_are_closed_and_reopen_after_spring_festival(cal: TradingCalendar) -> None:
    assert cal.is_open(at("2026-02-13 21:00")) == closed_until("2026-02-24 09:00")
    assert cal.is_open(at("2026-02-18 10:00")) == closed_until("2026-02-24 09:00")
    assert cal.is_open(at("2026-10-01 09:30")).open is False
    assert cal.is_open(at("2026-02-24 21:30")).open  # first evening after the holiday


def test_break_points_to_the_next_day_session(cal: TradingCalendar) -> None:
    assert cal.is_open(at("2026-11-25 10:20")) == closed_until("2026-11-25 10:30")
    assert cal.is_open(at("2026-11-25 15:30")) == closed_until("2026-11-25 21:00")


def test_aware_utc_time_is_converted_to_shanghai(cal: TradingCalendar) -> None:
    utc = datetime(2026, 11, 25, 1, 30, tzinfo=ZoneInfo("UTC"))  # 09:30 in Shanghai
    assert cal.is_open(utc) == MarketStatus(True, "am-1", None)
    assert cal.market_open(utc) is True


def test_products_map_to_their_night_group(cal: TradingCalendar) -> None:
    assert cal.group_for_product("AU").name == "precious_energy"
    assert cal.group_for_product("rb").name == "evening"
    assert cal.group_for_product("lh").night is None
    assert cal.group_for_product("zz").name == "precious_energy"  # unlisted: the default
    assert cal.is_open(at("2026-11-25 21:30"), "day_only") == closed_until("2026-11-26 09:00")


BAD = """\
day_sessions:
  - {name: am-1, start: "09:00", end: "10:15"}
  - {name: am-2, start: "10:00", end: "11:30"}
  - {name: PM, start: "13:30", end: "25:00"}
night_sessions:
  default: gold
  groups:
    metals: {start: "21:00", end: "10:00"}
    evening: {start: "21:00"}
holidays:
  - {date: 2026-01-03, name: New Year}
  - {date: 2026-13-01}
  - {date: 2026-01-02}
  - {date: 2026-01-02}
colour: blue
"""


def test_loader_reports_every_problem_with_file_line_col() -> None:
    with pytest.raises(ErrorList) as caught:
        parse_trading_calendar(BAD, "cal.yaml")
    assert str(caught.value).splitlines() == [
        "cal.yaml:3:5: day session 'am-2' starts before 'am-1' ends",
        "cal.yaml:4:12: day session 3: 'name' 'PM' must be lowercase letters, digits, '_' or '-'",
        "cal.yaml:4:37: day session 3: 'end' must be a time HH:MM, e.g. \"21:00\" (got '25:00')",
        "cal.yaml:6:12: 'night_sessions.default' names unknown group 'gold'"
        " (groups: metals, evening)",
        "cal.yaml:8:13: night group 'metals': 'end' 10:00 runs into the day sessions",
        "cal.yaml:9:14: night group 'evening': 'end' is missing",
        "cal.yaml:11:12: holiday 2026-01-03 is a Saturday; the exchanges never trade on weekends",
        "cal.yaml:12:12: holiday 'date' must be a date YYYY-MM-DD (got '2026-13-01')",
        "cal.yaml:14:12: holiday 2026-01-02 is listed twice",
        "cal.yaml:15:1: the calendar: unknown key 'colour'"
        " (expected one of timezone, day_sessions, night_sessions, holidays, known_through)",
    ]


def test_missing_file_and_bad_yaml_are_located_errors(tmp_path: Path) -> None:
    with pytest.raises(ErrorList) as caught:
        load_trading_calendar(tmp_path / "none.yaml")
    assert str(caught.value) == (
        f"{tmp_path}/none.yaml:1:1: cannot read the trading calendar: No such file or directory"
    )
    with pytest.raises(ErrorList) as caught:
        parse_trading_calendar("day_sessions: [\n", "x.yaml")
    assert str(caught.value).startswith("x.yaml:2:1: not valid YAML:")
