"""Campaign files: a margin-call CSV in, validated notices out (or every problem, by line).

Format (UTF-8, a BOM is allowed), header exactly `account,phone,risk_ratio,required_deposit,
deadline`, one notice per line:
- `account`: the client's account number, 4-20 digits;
- `phone`: a number `ivr.engine.phones.parse_phone` accepts (mainland mobile or landline, or
  +E.164); anything else is refused with its reason;
- `risk_ratio`: the account's risk ratio in percent (a positive number, e.g. `112.5`);
- `required_deposit`: the margin to add, in yuan (a positive number, at most 2 decimals);
- `deadline`: ISO 8601 with an offset (`2026-01-06T09:00:00+08:00`).
A line such as `123/../x` or `8001@evil` is refused as `FILE:LINE: field: reason`. The whole
file is checked first and `CampaignError` lists every bad line: nothing from a file is queued
until all of it is right. Two lines for the same account and phone are refused too.

Rules: pure (text in, values out); refused text is never echoed (it may be anything).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ivr.engine.phones import InvalidPhone, PhoneNumber, parse_phone
from ivr.errors import InputError

HEADER = ("account", "phone", "risk_ratio", "required_deposit", "deadline")
MAX_LINES = 100_000
_ACCOUNT = re.compile(r"[0-9]{4,20}", re.ASCII)


class CampaignError(InputError):
    """A campaign file with bad lines; `problems` are `(line, field, reason)`."""

    code = "invalid-campaign"

    def __init__(self, name: str, problems: list[tuple[int, str, str]]) -> None:
        lines = [f"{name}:{line}: {field}: {reason}" for line, field, reason in problems]
        lines.append("nothing from this file was queued: fix these lines and load it again")
        details = [{"line": n, "field": f, "reason": r} for n, f, r in problems]
        super().__init__("\n".join(lines), details={"errors": details})
        self.problems = problems


@dataclass(frozen=True, slots=True)
class NoticeLine:
    line: int
    account: str
    phone: PhoneNumber
    risk_ratio: Decimal
    required_deposit: Decimal
    deadline: datetime

    def facts(self) -> dict[str, str]:
        """What the call states (account by its last 4 digits only), as stored in SQL."""
        return {
            "account_last4": self.account[-4:],
            "risk_ratio": f"{self.risk_ratio.normalize():f}",
            "required_deposit": f"{self.required_deposit:.2f}",
            "deadline": self.deadline.isoformat(),
        }


def _number(text: str, *, places: int | None) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number; write e.g. 112.5") from None
    if not value.is_finite() or value <= 0:
        raise ValueError("must be a positive number")
    if places is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"at most {places} decimals")
    return value


def _deadline(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO 8601 time; write e.g. 2026-01-06T09:00:00+08:00") from None
    if value.tzinfo is None:
        raise ValueError("has no UTC offset; add one, e.g. +08:00")
    return value


def _line(number: int, row: list[str], problems: list[tuple[int, str, str]]) -> NoticeLine | None:
    if len(row) != len(HEADER):
        problems.append((number, "line", f"has {len(row)} fields, expected {len(HEADER)}"))
        return None
    account, phone_text, ratio_text, deposit_text, deadline_text = (v.strip() for v in row)
    found = len(problems)
    if not _ACCOUNT.fullmatch(account):
        problems.append((number, "account", "not an account number: 4-20 digits only"))
    phone: PhoneNumber | None = None
    try:
        phone = parse_phone(phone_text)
    except InvalidPhone as exc:
        problems.append((number, "phone", str(exc)))
    values: dict[str, object] = {}
    for field, parse in (
        ("risk_ratio", lambda t: _number(t, places=None)),
        ("required_deposit", lambda t: _number(t, places=2)),
        ("deadline", _deadline),
    ):
        text = {"risk_ratio": ratio_text, "required_deposit": deposit_text}.get(
            field, deadline_text
        )
        try:
            values[field] = parse(text)
        except ValueError as exc:
            problems.append((number, field, str(exc)))
    if len(problems) > found or phone is None:
        return None
    return NoticeLine(number, account, phone, **values)  # type: ignore[arg-type]


def csv_rows(
    data: bytes, name: str, header: tuple[str, ...], what: str
) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank line after the header of a campaign file
    (UTF-8, a BOM allowed, header exactly `header`, at most `MAX_LINES` `what`), or
    `CampaignError` for the file as a whole. Shared by every kind of campaign file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CampaignError(
            name, [(1, "file", f"not UTF-8 (byte {exc.start}); save it as UTF-8")]
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or tuple(c.strip() for c in rows[0]) != header:
        raise CampaignError(name, [(1, "header", f"must be exactly {','.join(header)}")])
    if len(rows) - 1 > MAX_LINES:
        raise CampaignError(name, [(1, "file", f"more than {MAX_LINES} {what}: split it")])
    return [
        (number, row) for number, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)
    ]


def parse_margin_csv(data: bytes, name: str) -> list[NoticeLine]:
    """Every notice of the file, or `CampaignError` naming each bad line."""
    problems: list[tuple[int, str, str]] = []
    notices: list[NoticeLine] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in csv_rows(data, name, HEADER, "notices"):
        notice = _line(number, row, problems)
        if notice is None:
            continue
        key = (notice.account, notice.phone.e164)
        if key in seen:
            problems.append((number, "line", f"same account and phone as line {seen[key]}"))
            continue
        seen[key] = number
        notices.append(notice)
    if problems:
        raise CampaignError(name, problems)
    if not notices:
        raise CampaignError(name, [(2, "file", "no notices: add one line per notice")])
    return notices
