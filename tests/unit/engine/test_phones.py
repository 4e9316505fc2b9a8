"""Dialable numbers: what `parse_phone` accepts, how it normalises, and what it refuses."""

from __future__ import annotations

import pytest

from ivr.engine.phones import InvalidPhone, PhoneNumber, dial_string, parse_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", PhoneNumber("mobile", "13912345678", "+8613912345678")),
        ("139 1234 5678", PhoneNumber("mobile", "13912345678", "+8613912345678")),
        ("+86 139-1234-5678", PhoneNumber("mobile", "13912345678", "+8613912345678")),
        ("008613912345678", PhoneNumber("mobile", "13912345678", "+8613912345678")),
        ("8613912345678", PhoneNumber("mobile", "13912345678", "+8613912345678")),
        ("01012345678", PhoneNumber("landline", "01012345678", "+861012345678")),
        ("0755-12345678", PhoneNumber("landline", "075512345678", "+8675512345678")),
        ("(021) 6123 4567", PhoneNumber("landline", "02161234567", "+862161234567")),
        ("+862161234567", PhoneNumber("landline", "02161234567", "+862161234567")),
        ("+85223456789", PhoneNumber("international", "+85223456789", "+85223456789")),
        ("+14155550123", PhoneNumber("international", "+14155550123", "+14155550123")),
    ],
)
def test_accepted_numbers_are_normalised(raw: str, expected: PhoneNumber) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "", "   ", "123/../x", "8001@evil", "PJSIP/100", "13912345678@carrier", "1391234567",
        "139123456789", "12912345678", "95555", "10086", "+0123456789", "+1234567", "*72",
        "13912345678#", "１３９１２３４５６７８", "+8６１３９１２３４５６７８",
        "+86 12345", "0012", "abc",
    ],
)  # fmt: skip
def test_refused_numbers_say_why_and_never_echo(raw: str) -> None:
    with pytest.raises(InvalidPhone) as info:
        parse_phone(raw)
    assert info.value.code == "invalid-phone"
    if raw.strip():
        assert raw.strip() not in str(info.value)


def test_dial_string_uses_the_validated_form() -> None:
    assert dial_string("PJSIP/{number}@carrier", "+86 139-1234-5678") == (
        "PJSIP/13912345678@carrier"
    )
    with pytest.raises(InvalidPhone):
        dial_string("PJSIP/{number}@carrier", "8001@evil")
