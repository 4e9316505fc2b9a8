"""Mandarin spoken forms of typed prompt slots: the table a caller would check by ear."""

from __future__ import annotations

import pytest

from ivr.engine.speakable import SlotValueError, speak, speak_or_raw

CASES = [
    # contract months and contracts
    ("month", "2505", "二五零五"),
    ("month", "2510", "二五一零"),
    ("month", "2601", "二六零一"),
    ("month", "2612", "二六一二"),
    ("month", "505", "五零五"),
    ("contract", "rb2505", "螺纹钢二五零五"),
    ("contract", "RB2505", "螺纹钢二五零五"),
    ("contract", "au2512", "黄金二五一二"),
    ("contract", "IF2506", "沪深三百股指二五零六"),
    ("contract", "SR505", "白糖五零五"),
    ("contract", "xx2501", "X X二五零一"),
    # plain numbers
    ("decimal", "0", "零"),
    ("decimal", "7", "七"),
    ("decimal", "10", "十"),
    ("decimal", "15", "十五"),
    ("decimal", "20", "二十"),
    ("decimal", "110", "一百一十"),
    ("decimal", "200", "二百"),
    ("decimal", "1005", "一千零五"),
    ("decimal", "1050", "一千零五十"),
    ("decimal", "2000", "两千"),
    ("decimal", "2002", "两千零二"),
    ("decimal", "10005", "一万零五"),
    ("decimal", "12000", "一万两千"),
    ("decimal", "20000", "两万"),
    ("decimal", "100000", "十万"),
    ("decimal", "100010", "十万零一十"),
    ("decimal", "220000", "二十二万"),
    ("decimal", "1000500", "一百万零五百"),
    ("decimal", "100000001", "一亿零一"),
    ("decimal", "200000000", "两亿"),
    # prices with decimals
    ("decimal", "3580.5", "三千五百八十点五"),
    ("decimal", "3580.50", "三千五百八十点五"),
    ("decimal", "3580.00", "三千五百八十"),
    ("decimal", "612.5", "六百一十二点五"),
    ("decimal", "0.05", "零点零五"),
    ("decimal", "75230", "七万五千二百三十"),
    ("decimal", "4.125", "四点一二五"),
    ("decimal", "1,250.5", "一千二百五十点五"),
    # money and P&L
    ("money", "1250000.00", "一百二十五万"),
    ("money", "810000.00", "八十一万"),
    ("money", "440000.00", "四十四万"),
    ("money", "185000.00", "十八万五千"),
    ("money", "15000.00", "一万五千"),
    ("money", "-3200.5", "负三千二百点五"),
    ("money", "−3200.5", "负三千二百点五"),
    ("money", "0.00", "零"),
    ("money", "12345678.9", "一千二百三十四万五千六百七十八点九"),
    ("pnl", "-3200.5", "亏损三千二百点五"),
    ("pnl", "5600", "盈利五千六百"),
    ("pnl", "+18.25", "盈利十八点二五"),
    # percentages
    ("percent", "87.5", "百分之八十七点五"),
    ("percent", "87.5%", "百分之八十七点五"),
    ("percent", "35.2", "百分之三十五点二"),
    ("percent", "100", "百分之一百"),
    ("percent", "-1.5", "负百分之一点五"),
    # lots and counts
    ("lots", "1", "一"),
    ("lots", "2", "两"),
    ("lots", "12", "十二"),
    ("lots", "22", "二十二"),
    ("lots", "200", "两百"),
    ("lots", "2000", "两千"),
    # times, including the night session across midnight
    ("time", "21:00", "晚上九点"),
    ("time", "21:30", "晚上九点三十分"),
    ("time", "23:59", "晚上十一点五十九分"),
    ("time", "00:00", "凌晨零点"),
    ("time", "00:30", "凌晨零点三十分"),
    ("time", "01:00", "凌晨一点"),
    ("time", "02:30", "凌晨两点三十分"),
    ("time", "09:00", "上午九点"),
    ("time", "09:05", "上午九点零五分"),
    ("time", "12:00", "中午十二点"),
    ("time", "13:30", "下午一点三十分"),
    ("time", "06:10", "早上六点十分"),
    # dates and date-times
    ("date", "2026-10-01", "二零二六年十月一日"),
    ("date", "2027-02-12", "二零二七年二月十二日"),
    ("datetime", "2026-12-07 09:00", "十二月七日上午九点"),
    ("datetime", "2026-10-08 21:00", "十月八日晚上九点"),
    ("datetime", "2026-12-08T00:30", "十二月八日凌晨零点三十分"),
    ("datetime", "21:00", "晚上九点"),
    # phone, account and code numbers
    ("phone", "13800000001", "幺三八，零零零零，零零零幺"),
    ("phone", "138-0000-0002", "幺三八，零零零零，零零零二"),
    ("phone", "95555", "九五五五五"),
    ("phone", "01012345678", "零幺零幺二三四五六七八"),
    ("phone", "+85223456789", "加八五二二三四五六七八九"),
    ("account", "12345678", "尾号五六七八"),
    ("account", "87654321", "尾号四三二幺"),
    ("account", "1234****78", "尾号七八"),
    ("digits", "T0001", "T零零零幺"),
    ("digits", "CB0012", "CB零零幺二"),
    ("digits", "110", "幺幺零"),
    # trade lists
    ("trades", "rb2510 buy open 3250.00 2",
     "买入开仓螺纹钢二五一零合约，两手，价格三千二百五十元"),
    ("trades", "rb2505 buy open 3580 3; cu2503 sell close 75230 1",
     "买入开仓螺纹钢二五零五合约，三手，价格三千五百八十元；"
     "卖出平仓沪铜二五零三合约，一手，价格七万五千二百三十元"),
    # an absent value says nothing
    ("decimal", "", ""),
    ("money", "  ", ""),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "raw", "spoken"), CASES)
def test_mandarin_spoken_form(kind: str, raw: str, spoken: str) -> None:
    assert speak(kind, raw, "zh-CN") == spoken


def test_no_ascii_digit_is_left_for_the_voice() -> None:
    for kind, raw, _ in CASES:
        assert not any(ch.isdigit() and ch.isascii() for ch in speak(kind, raw, "zh-CN"))


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("decimal", "abc", "slot type 'decimal' cannot speak 'abc': expected a number, "
         "integer or with a fraction: 3580.5"),
        ("month", "2513", "slot type 'month' cannot speak '2513': expected a contract delivery "
         "month YYMM (or YMM): 2505"),
        ("lots", "1.5", "slot type 'lots' cannot speak '1.5': expected a count of lots (or any "
         "count before a measure word): 2"),
        ("time", "25:00", "slot type 'time' cannot speak '25:00': expected a time of day "
         "HH:MM: 21:30"),
        ("account", "****", "slot type 'account' cannot speak '****': expected an account "
         "number, spoken masked (its last 4 digits only): 12345678"),
        ("colour", "1", "unknown slot type 'colour' (types: digits, decimal, money, pnl, "
         "percent, lots, month, contract, date, time, datetime, phone, account, trades)"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_with_the_expected_form(kind: str, raw: str, message: str) -> None:
    with pytest.raises(SlotValueError) as refused:
        speak(kind, raw, "zh-CN")
    assert str(refused.value) == message


def test_a_language_without_spoken_forms_is_refused() -> None:
    with pytest.raises(SlotValueError) as refused:
        speak("decimal", "1", "ko")
    assert str(refused.value) == "no spoken forms for language 'ko' (known: zh-CN, en)"


def test_at_call_time_a_bad_value_or_language_plays_raw() -> None:
    assert speak_or_raw("decimal", "abc", "zh-CN") == "abc"
    assert speak_or_raw("decimal", "3580.5", "ko") == "3580.5"
    assert speak_or_raw("decimal", "3580.5", "zh-CN") == "三千五百八十点五"
