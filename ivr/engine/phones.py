"""Telephone numbers the app may dial: validated and normalised before any dial string. Pure.

A number reaches a dial string (`calls.outbound_dial`, the dialer's trunk template) only as a
`PhoneNumber` from `parse_phone`. Accepted forms (spaces, hyphens and brackets are ignored):
- a mainland mobile number: 11 digits, `1[3-9]` then 9 digits (`13912345678`), also written
  with the country code (`+8613912345678`, `008613912345678`, `8613912345678`);
- a mainland landline with its area code: `0` + 2-3 digit area code + 7-8 digits
  (`01012345678`, `0755-12345678`), also `+86` + the number without its leading 0;
- any other country in E.164: `+` then 8-15 digits, the first not 0 (`+85223456789`).
Everything else (letters, `/`, `@`, `*`, `#`, short codes, extensions) is refused with an
`InvalidPhone` that says what was wrong; the refused text is never echoed (it may be anything a
caller ID carried).

`PhoneNumber.dial` is the national form for mainland numbers and `+E164` for the rest;
`PhoneNumber.e164` is always `+<digits>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ivr.errors import InputError

PhoneKind = Literal["mobile", "landline", "international"]

_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_LANDLINE = re.compile(r"0[1-9]\d{1,2}\d{7,8}", re.ASCII)
_E164 = re.compile(r"\+[1-9]\d{7,14}", re.ASCII)


class InvalidPhone(InputError):
    """A number that must not reach a dial string; the message says why."""

    code = "invalid-phone"


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A validated number: its kind, its dialable form and its E.164 form."""

    kind: PhoneKind
    dial: str
    e164: str


def _mainland(national: str) -> PhoneNumber | None:
    if _MOBILE.fullmatch(national):
        return PhoneNumber("mobile", national, "+86" + national)
    if _LANDLINE.fullmatch(national) and len(national) in (10, 11, 12):
        return PhoneNumber("landline", national, "+86" + national[1:])
    return None


def parse_phone(raw: str) -> PhoneNumber:
    """The validated number in `raw`, or `InvalidPhone` saying what is wrong."""
    text = _SEPARATORS.sub("", raw or "")
    if not text:
        raise InvalidPhone("no number: expected a mainland mobile/landline or +E.164 number")
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?[0-9]+", text):
        raise InvalidPhone(
            "not a telephone number: only digits, an optional leading +, spaces and hyphens"
        )
    if text.startswith("+86") or (text.startswith("86") and len(text) == 13):
        rest = text[3:] if text.startswith("+") else text[2:]
        national = rest if _MOBILE.fullmatch(rest) else "0" + rest
        found = _mainland(national)
        if found is None:
            raise InvalidPhone(
                "not a mainland number after +86: mobile 1[3-9]xxxxxxxxx or area code"
            )
        return found
    if text.startswith("+"):
        if not _E164.fullmatch(text):
            raise InvalidPhone("an international number is + then 8-15 digits (E.164)")
        return PhoneNumber("international", text, text)
    found = _mainland(text)
    if found is None:
        raise InvalidPhone(
            "not a mainland mobile (11 digits, 1[3-9]...) or landline with area code (0...)"
            " number; write other countries as +E.164"
        )
    return found


def dialable(raw: str) -> bool:
    """Whether `raw` is a number we may call back (see `parse_phone`)."""
    try:
        parse_phone(raw)
    except InvalidPhone:
        return False
    return True


def dial_string(template: str, raw: str) -> str:
    """`template` (`...{number}...`) filled with the validated form of `raw`."""
    return template.format(number=parse_phone(raw).dial)
