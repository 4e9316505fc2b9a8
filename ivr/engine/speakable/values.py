"""Raw slot values, parsed: what each slot type accepts before a language speaks it. Pure.

Rules: a raw value is the canonical text of a lookup field or a caller's input (`raw_text`
turns a provider's `Decimal`, `int`, `datetime` ... into it); `parse(kind, raw)` checks it
against the slot type and returns a value for the language modules (`zh`, `en`), or raises
`SlotValueError` saying what the type expects, with an example. Nothing here knows a language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from ivr.errors import InputError

SLOT_TYPES: dict[str, str] = {
    "digits": "digits read one by one (ticket numbers, codes): T0001",
    "decimal": "a number, integer or with a fraction: 3580.5",
    "money": "an amount, the unit is the prompt's (元 / yuan): 1250000.00",
    "pnl": "a signed amount read as profit or loss: -3200.5",
    "percent": "a percentage, with or without '%': 87.5",
    "lots": "a count of lots (or any count before a measure word): 2",
    "month": "a contract delivery month YYMM (or YMM): 2505",
    "contract": "a contract code, product then month: rb2505",
    "date": "a calendar date YYYY-MM-DD: 2026-10-01",
    "time": "a time of day HH:MM: 21:30",
    "datetime": "a date and time YYYY-MM-DD HH:MM (the year is not spoken): 2026-12-07 09:00",
    "phone": "a telephone number, digit by digit: 13800000001",
    "account": "an account number, spoken masked (its last 4 digits only): 12345678",
    "trades": "a list of trades 'CONTRACT buy|sell open|close PRICE LOTS; ...'",
}

_MINUS = str.maketrans({"−": "-", "－": "-", "＋": "+", ",": None, "，": None, " ": None})
_CONTRACT = re.compile(r"([A-Za-z]{1,2})(\d{3,4})", re.ASCII)
_MONTH = re.compile(r"\d?\d(0[1-9]|1[0-2])", re.ASCII)
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?", re.ASCII)
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_CODE_SEPARATORS = re.compile(r"[\s\-().]")
_DIRECTIONS = ("buy", "sell")
_OFFSETS = ("open", "close")


class SlotValueError(InputError):
    """A raw value the slot type cannot speak; the message names the type and an example."""

    code = "bad-slot-value"


@dataclass(frozen=True, slots=True)
class Contract:
    product: str  # exchange code, lower case: "rb"
    month: str  # "2505" (CZCE codes have three digits: "505")


@dataclass(frozen=True, slots=True)
class Trade:
    contract: Contract
    direction: str  # buy | sell
    offset: str  # open | close
    price: Decimal
    lots: int


def refuse(kind: str, raw: str) -> SlotValueError:
    return SlotValueError(f"slot type '{kind}' cannot speak '{raw}': expected {SLOT_TYPES[kind]}")


def number(kind: str, raw: str) -> Decimal:
    text = raw.strip().translate(_MINUS)
    if kind == "percent":
        text = text.removesuffix("%").removesuffix("％")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise refuse(kind, raw) from None
    if not value.is_finite():
        raise refuse(kind, raw)
    return value


def count(kind: str, raw: str) -> int:
    value = number(kind, raw)
    if value != value.to_integral_value() or value < 0:
        raise refuse(kind, raw)
    return int(value)


def code_digits(kind: str, raw: str, *, letters: bool) -> str:
    """Digits (and, where allowed, Latin letters and a leading '+') without separators."""
    text = _CODE_SEPARATORS.sub("", raw.strip())
    body = text[1:] if kind == "phone" and text.startswith("+") else text
    ok = body.isascii() and (body.isalnum() if letters else body.isdigit())
    if not body or not ok:
        raise refuse(kind, raw)
    return text


def account_tail(raw: str) -> str:
    """The last (up to 4) digits of an account number, clear (`12345678`) or masked
    (`1234****78`): only those are ever spoken."""
    text = raw.strip()
    tail = re.search(r"(\d{1,4})$", text, re.ASCII)
    if tail is None or not re.fullmatch(r"[\d*]+", text, re.ASCII):
        raise refuse("account", raw)
    return tail.group(1)


def month(kind: str, raw: str) -> str:
    text = raw.strip()
    if not _MONTH.fullmatch(text):
        raise refuse(kind, raw)
    return text


def contract(raw: str) -> Contract:
    found = _CONTRACT.fullmatch(raw.strip())
    if found is None or not _MONTH.fullmatch(found.group(2)):
        raise refuse("contract", raw)
    return Contract(found.group(1).lower(), found.group(2))


def clock_time(kind: str, raw: str) -> time:
    found = _TIME.fullmatch(raw.strip())
    if found is None:
        raise refuse(kind, raw)
    return time(int(found.group(1)), int(found.group(2)))


def calendar_date(kind: str, raw: str) -> date:
    found = _DATE.fullmatch(raw.strip())
    if found is None:
        raise refuse(kind, raw)
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        raise refuse(kind, raw) from None


def date_time(raw: str) -> tuple[date | None, time]:
    """`YYYY-MM-DD HH:MM` (or with a `T`), or a bare `HH:MM` (no date spoken)."""
    text = raw.strip().replace("T", " ")
    day, _, clock = text.rpartition(" ")
    if not day:
        return None, clock_time("datetime", raw)
    return calendar_date("datetime", day), clock_time("datetime", clock)


def trades(raw: str) -> list[Trade]:
    items: list[Trade] = []
    for item in filter(None, (part.strip() for part in raw.split(";"))):
        fields = item.split()
        if len(fields) != 5 or fields[1] not in _DIRECTIONS or fields[2] not in _OFFSETS:
            raise refuse("trades", raw)
        price, lots = number("trades", fields[3]), count("trades", fields[4])
        items.append(Trade(contract(fields[0]), fields[1], fields[2], price, lots))
    return items


def trades_raw(items: list[Trade]) -> str:
    """The raw text of `items` (what a `trades` field holds)."""
    return "; ".join(
        f"{t.contract.product}{t.contract.month} {t.direction} {t.offset} "
        f"{format(t.price, 'f')} {t.lots}"
        for t in items
    )


def raw_text(value: object) -> str:
    """The canonical text of a provider's value: numbers without exponent, times as HH:MM,
    date-times as `YYYY-MM-DD HH:MM`, None as an empty string."""
    match value:
        case None:
            return ""
        case bool():
            return "true" if value else "false"
        case Decimal():
            return format(value, "f")
        case datetime():
            return value.strftime("%Y-%m-%d %H:%M")
        case date():
            return value.isoformat()
        case time():
            return value.strftime("%H:%M")
        case _:
            return str(value)
