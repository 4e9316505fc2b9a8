"""English spoken forms of slot values (docs/prompts.md, "Spoken forms"). Pure.

Rules: numbers in words without "and" (3580.5 "three thousand five hundred eighty point
five"), the fraction digit by digit with trailing zeros dropped; codes (digits, phone, account,
contract months) one digit at a time with "zero"; mobile numbers in 3-4-4 groups; times on the
12-hour clock with "a.m."/"p.m." ("nine thirty p.m."), 00:00 "midnight" and 12:00 "noon";
dates as "October first, twenty twenty-six". Nothing here returns an ASCII digit.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from ivr.engine.speakable import values as v
from ivr.engine.speakable.products import product_name

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen")  # fmt: skip
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
        "ninety")  # fmt: skip
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_DIRECTION = {("buy", "open"): "buy to open", ("sell", "open"): "sell to open",
              ("buy", "close"): "buy to close", ("sell", "close"): "sell to close"}  # fmt: skip


def _below_thousand(n: int) -> str:
    words: list[str] = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10] + (f"-{ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(ONES[n])
    return " ".join(words)


def integer(n: int) -> str:
    """A whole number (n >= 0) in words."""
    if n >= 10**15:
        return code(str(n))
    words: list[str] = []
    for scale, name in _SCALES:
        if n >= scale:
            words += [_below_thousand(n // scale), name]
            n %= scale
    if n or not words:
        words.append(_below_thousand(n))
    return " ".join(words)


def number(value: Decimal) -> str:
    sign = "minus " if value < 0 else ""
    whole, _, fraction = format(abs(value), "f").partition(".")
    fraction = fraction.rstrip("0")
    spoken = integer(int(whole))
    if fraction:
        spoken += " point " + " ".join(ONES[int(d)] for d in fraction)
    return sign + spoken


def code(text: str) -> str:
    """One word per character: digits as words, letters as capitals, '+' as "plus"."""
    words = []
    for char in text:
        if char.isdigit():
            words.append(ONES[int(char)])
        elif char == "+":
            words.append("plus")
        else:
            words.append(char.upper())
    return " ".join(words)


def phone(text: str) -> str:
    if len(text) == 11 and text.startswith("1"):
        return ", ".join(code(part) for part in (text[:3], text[3:7], text[7:]))
    return code(text)


def ordinal(n: int) -> str:
    words = integer(n)
    head, sep, last = words.rpartition("-") if "-" in words else ("", "", words)
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def year(n: int) -> str:
    if n % 1000 < 10 or n % 100 == 0:
        return integer(n)
    return f"{integer(n // 100)} {integer(n % 100)}" if n % 100 >= 10 else integer(n)


def clock(value: time) -> str:
    hour, minute = value.hour, value.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"
    twelve = hour % 12 or 12
    spoken = integer(twelve)
    if minute:
        spoken += (" oh " if minute < 10 else " ") + integer(minute)
    return spoken + (" a.m." if hour < 12 else " p.m.")


def day(value: date, *, with_year: bool = True) -> str:
    spoken = f"{_MONTHS[value.month - 1]} {ordinal(value.day)}"
    return f"{spoken}, {year(value.year)}" if with_year else spoken


def contract(value: v.Contract) -> str:
    return f"{product_name(value.product, 'en')} {code(value.month)}"


def pnl(value: Decimal) -> str:
    return ("a loss of " if value < 0 else "a profit of ") + number(abs(value))


def trades(items: list[v.Trade]) -> str:
    return "; ".join(
        f"{_DIRECTION[(t.direction, t.offset)]} {integer(t.lots)} "
        f"{'lot' if t.lots == 1 else 'lots'} of {contract(t.contract)} at {number(t.price)}"
        for t in items
    )


def speak(kind: str, raw: str) -> str:
    """`raw` (checked against `kind`) as English speaks it."""
    match kind:
        case "digits":
            return code(v.code_digits(kind, raw, letters=True))
        case "decimal" | "money":
            return number(v.number(kind, raw))
        case "pnl":
            return pnl(v.number(kind, raw))
        case "percent":
            return number(v.number(kind, raw)) + " percent"
        case "lots":
            return integer(v.count(kind, raw))
        case "month":
            return code(v.month(kind, raw))
        case "contract":
            return contract(v.contract(raw))
        case "date":
            return day(v.calendar_date(kind, raw))
        case "time":
            return clock(v.clock_time(kind, raw))
        case "datetime":
            when, at = v.date_time(raw)
            return (f"{day(when, with_year=False)} at " if when else "") + clock(at)
        case "phone":
            return phone(v.code_digits(kind, raw, letters=False))
        case "account":
            return "ending in " + code(v.account_tail(raw))
        case "trades":
            return trades(v.trades(raw))
        case _:
            raise v.SlotValueError(f"unknown slot type '{kind}'")
