"""English spoken forms of typed prompt slots."""

from __future__ import annotations

import pytest

from ivr.engine.speakable import speak

CASES = [
    # contract months and contracts
    ("month", "2505", "two five zero five"),
    ("month", "2510", "two five one zero"),
    ("month", "505", "five zero five"),
    ("contract", "rb2505", "rebar two five zero five"),
    ("contract", "au2512", "gold two five one two"),
    ("contract", "IF2506", "C S I three hundred index two five zero six"),
    ("contract", "cu2503", "copper two five zero three"),
    ("contract", "xx2501", "X X two five zero one"),
    # plain numbers
    ("decimal", "0", "zero"),
    ("decimal", "7", "seven"),
    ("decimal", "10", "ten"),
    ("decimal", "15", "fifteen"),
    ("decimal", "21", "twenty-one"),
    ("decimal", "100", "one hundred"),
    ("decimal", "110", "one hundred ten"),
    ("decimal", "1005", "one thousand five"),
    ("decimal", "2000", "two thousand"),
    ("decimal", "12000", "twelve thousand"),
    ("decimal", "100000", "one hundred thousand"),
    ("decimal", "1000500", "one million five hundred"),
    ("decimal", "100000001", "one hundred million one"),
    ("decimal", "2500000000", "two billion five hundred million"),
    # prices with decimals
    ("decimal", "3580.5", "three thousand five hundred eighty point five"),
    ("decimal", "3580.50", "three thousand five hundred eighty point five"),
    ("decimal", "3580.00", "three thousand five hundred eighty"),
    ("decimal", "612.5", "six hundred twelve point five"),
    ("decimal", "0.05", "zero point zero five"),
    ("decimal", "75230", "seventy-five thousand two hundred thirty"),
    ("decimal", "4.125", "four point one two five"),
    ("decimal", "1,250.5", "one thousand two hundred fifty point five"),
    # money and P&L
    ("money", "1250000.00", "one million two hundred fifty thousand"),
    ("money", "810000.00", "eight hundred ten thousand"),
    ("money", "185000.00", "one hundred eighty-five thousand"),
    ("money", "-3200.5", "minus three thousand two hundred point five"),
    ("money", "−3200.5", "minus three thousand two hundred point five"),
    ("money", "0.00", "zero"),
    ("pnl", "-3200.5", "a loss of three thousand two hundred point five"),
    ("pnl", "5600", "a profit of five thousand six hundred"),
    # percentages
    ("percent", "87.5", "eighty-seven point five percent"),
    ("percent", "87.5%", "eighty-seven point five percent"),
    ("percent", "35.2", "thirty-five point two percent"),
    ("percent", "100", "one hundred percent"),
    ("percent", "-1.5", "minus one point five percent"),
    # lots
    ("lots", "1", "one"),
    ("lots", "2", "two"),
    ("lots", "40", "forty"),
    ("lots", "9999", "nine thousand nine hundred ninety-nine"),
    # times, including the night session across midnight
    ("time", "21:00", "nine p.m."),
    ("time", "21:30", "nine thirty p.m."),
    ("time", "23:59", "eleven fifty-nine p.m."),
    ("time", "00:00", "midnight"),
    ("time", "00:30", "twelve thirty a.m."),
    ("time", "02:30", "two thirty a.m."),
    ("time", "09:00", "nine a.m."),
    ("time", "09:05", "nine oh five a.m."),
    ("time", "12:00", "noon"),
    ("time", "13:30", "one thirty p.m."),
    # dates and date-times
    ("date", "2026-10-01", "October first, twenty twenty-six"),
    ("date", "2027-02-12", "February twelfth, twenty twenty-seven"),
    ("date", "2026-12-22", "December twenty-second, twenty twenty-six"),
    ("date", "2026-05-30", "May thirtieth, twenty twenty-six"),
    ("date", "2000-01-03", "January third, two thousand"),
    ("date", "2005-07-04", "July fourth, two thousand five"),
    ("datetime", "2026-12-07 09:00", "December seventh at nine a.m."),
    ("datetime", "2026-12-08 00:30", "December eighth at twelve thirty a.m."),
    ("datetime", "21:00", "nine p.m."),
    # phone, account and code numbers
    ("phone", "13800000001", "one three eight, zero zero zero zero, zero zero zero one"),
    ("phone", "95555", "nine five five five five"),
    ("phone", "+85223456789", "plus eight five two two three four five six seven eight nine"),
    ("account", "12345678", "ending in five six seven eight"),
    ("account", "1234****78", "ending in seven eight"),
    ("digits", "T0001", "T zero zero zero one"),
    ("digits", "CB0012", "C B zero zero one two"),
    # trade lists
    ("trades", "rb2510 buy open 3250.00 2",
     "buy to open two lots of rebar two five one zero at three thousand two hundred fifty"),
    ("trades", "rb2505 buy open 3580 3; cu2503 sell close 75230 1",
     "buy to open three lots of rebar two five zero five at three thousand five hundred eighty; "
     "sell to close one lot of copper two five zero three at seventy-five thousand two hundred "
     "thirty"),
    ("decimal", "", ""),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "raw", "spoken"), CASES)
def test_english_spoken_form(kind: str, raw: str, spoken: str) -> None:
    assert speak(kind, raw, "en") == spoken


def test_no_ascii_digit_is_left_for_the_voice() -> None:
    for kind, raw, _ in CASES:
        assert not any(ch.isdigit() for ch in speak(kind, raw, "en"))


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 60
