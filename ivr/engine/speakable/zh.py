"""Mandarin spoken forms of slot values (docs/prompts.md, "Spoken forms"). Pure.

Rules (what a caller expects to hear, and what the shipped voice reads without guessing):
- Numbers in 万/亿 groups with 零 for skipped places: 1005 一千零五, 100000 十万,
  1250000 一百二十五万, 10 十 (a leading 一十 loses its 一).
- 两 where Mandarin says it: before 千 (2000 两千, 12000 一万两千), for a group of exactly 2
  before 万/亿 (两万, 两亿), and in counts (`lots`): 2 两, 200 两百. Elsewhere 二 (二百, 十二).
- Fractions digit by digit after 点, trailing zeros dropped: 3580.50 三千五百八十点五.
- Codes (digits, phone, account) one digit at a time with 幺 for 1; contract months with 一.
- Times carry the part of the day (凌晨 0-4, 早上 5-7, 上午 8-11, 中午 12, 下午 13-17, 晚上
  18-23): 21:30 晚上九点三十分, 00:30 凌晨零点三十分, 02:00 凌晨两点.
Nothing here returns an ASCII digit.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from ivr.engine.speakable import values as v
from ivr.engine.speakable.products import product_name

DIGITS = "零一二三四五六七八九"
CODE_DIGITS = "零幺二三四五六七八九"
_GROUPS = ("", "万", "亿", "万亿")
_PLACES = ("千", "百", "十", "")
_DIRECTION = {("buy", "open"): "买入开仓", ("sell", "open"): "卖出开仓",
              ("buy", "close"): "买入平仓", ("sell", "close"): "卖出平仓"}  # fmt: skip


def _group(value: int, *, first: bool, counting: bool) -> str:
    """One group of four places (0 < value < 10000)."""
    out: list[str] = []
    zero = False
    for place, digit in zip(_PLACES, f"{value:04d}", strict=True):
        d = int(digit)
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        if d == 1 and place == "十" and first and not out:
            word = ""
        elif d == 2 and (place == "千" or (place == "百" and counting)):
            word = "两"
        else:
            word = DIGITS[d]
        out.append(word + place)
    return "".join(out)


def integer(n: int, *, counting: bool = False) -> str:
    """A whole number (n >= 0) as Mandarin counts it."""
    if n == 0:
        return "零"
    if n == 2 and counting:
        return "两"
    if n >= 10**16:  # past 万亿: no one counts that; read the digits
        return "".join(DIGITS[int(d)] for d in str(n))
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out: list[str] = []
    gap = False
    for index in reversed(range(len(groups))):
        value = groups[index]
        if value == 0:
            gap = bool(out)
            continue
        if out and (gap or value < 1000):
            out.append("零")
        if value == 2 and index > 0:
            out.append("两")
        else:
            out.append(_group(value, first=not out, counting=counting))
        out.append(_GROUPS[index])
        gap = False
    return "".join(out)


def number(value: Decimal, *, counting: bool = False) -> str:
    """A signed number: 负 for negatives, 点 and one digit at a time for the fraction."""
    sign = "负" if value < 0 else ""
    text = format(abs(value), "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    spoken = integer(int(whole), counting=counting)
    if fraction:
        spoken += "点" + "".join(DIGITS[int(d)] for d in fraction)
    return sign + spoken


def code(text: str) -> str:
    """Digit by digit with 幺 for 1; Latin letters stay (upper case), '+' is 加."""
    out = []
    for char in text:
        if char.isdigit():
            out.append(CODE_DIGITS[int(char)])
        elif char == "+":
            out.append("加")
        else:
            out.append(char.upper())
    return "".join(out)


def phone(text: str) -> str:
    if len(text) == 11 and text.startswith("1"):  # mobile: 3-4-4, a pause between the parts
        return "，".join(code(part) for part in (text[:3], text[3:7], text[7:]))
    return code(text)


def month(text: str) -> str:
    return "".join(DIGITS[int(d)] for d in text)


def contract(value: v.Contract) -> str:
    return product_name(value.product, "zh") + month(value.month)


def clock(value: time) -> str:
    hour, minute = value.hour, value.minute
    if hour < 5:
        part = "凌晨"
    elif hour < 8:
        part = "早上"
    elif hour < 12:
        part = "上午"
    elif hour == 12:
        part = "中午"
    elif hour < 18:
        part = "下午"
    else:
        part = "晚上"
    twelve = hour if hour <= 12 else hour - 12
    spoken = f"{part}{integer(twelve, counting=True)}点"
    if minute:
        spoken += ("零" if minute < 10 else "") + integer(minute) + "分"
    return spoken


def day(value: date, *, year: bool = True) -> str:
    head = month(str(value.year)) + "年" if year else ""
    return f"{head}{integer(value.month)}月{integer(value.day)}日"


def pnl(value: Decimal) -> str:
    return ("亏损" if value < 0 else "盈利") + number(abs(value))


def trades(items: list[v.Trade]) -> str:
    return "；".join(
        f"{_DIRECTION[(t.direction, t.offset)]}{contract(t.contract)}合约，"
        f"{integer(t.lots, counting=True)}手，价格{number(t.price)}元"
        for t in items
    )


def speak(kind: str, raw: str) -> str:
    """`raw` (checked against `kind`) as Mandarin speaks it."""
    match kind:
        case "digits":
            return code(v.code_digits(kind, raw, letters=True))
        case "decimal" | "money":
            return number(v.number(kind, raw))
        case "pnl":
            return pnl(v.number(kind, raw))
        case "percent":
            value = v.number(kind, raw)
            return ("负" if value < 0 else "") + "百分之" + number(abs(value))
        case "lots":
            return integer(v.count(kind, raw), counting=True)
        case "month":
            return month(v.month(kind, raw))
        case "contract":
            return contract(v.contract(raw))
        case "date":
            return day(v.calendar_date(kind, raw))
        case "time":
            return clock(v.clock_time(kind, raw))
        case "datetime":
            when, at = v.date_time(raw)
            return (day(when, year=False) if when else "") + clock(at)
        case "phone":
            return phone(v.code_digits(kind, raw, letters=False))
        case "account":
            return "尾号" + code(v.account_tail(raw))
        case "trades":
            return trades(v.trades(raw))
        case _:
            raise v.SlotValueError(f"unknown slot type '{kind}'")
