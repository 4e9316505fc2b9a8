"""Margin-call CSV files: the whole file checked first, every bad line named."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from ivr.outbound.campaigns import CampaignError, parse_margin_csv

HEADER = "account,phone,risk_ratio,required_deposit,deadline\n"
GOOD = "12345678,139 0000 0010,112.5,50000,2026-01-06T09:00:00+08:00\n"


def test_a_good_file_gives_its_notices() -> None:
    (notice,) = parse_margin_csv((HEADER + GOOD).encode(), "m.csv")
    assert notice.line == 2
    assert notice.phone.e164 == "+8613900000010"
    assert notice.risk_ratio == Decimal("112.5")
    assert notice.facts() == {
        "account_last4": "5678",
        "risk_ratio": "112.5",
        "required_deposit": "50000.00",
        "deadline": "2026-01-06T09:00:00+08:00",
    }


def test_bad_lines_are_refused_with_their_line_numbers() -> None:
    text = (
        HEADER + GOOD
        + "123/../x,13900000011,100,1000,2026-01-06T09:00:00+08:00\n"
        + "87654321,8001@evil,100,1000,2026-01-06T09:00:00+08:00\n"
        + "87654322,13900000012,-5,1000.001,2026-01-06T09:00:00\n"
    )  # fmt: skip
    with pytest.raises(CampaignError) as caught:
        parse_margin_csv(text.encode(), "m.csv")
    assert str(caught.value).splitlines() == [
        "m.csv:3: account: not an account number: 4-20 digits only",
        "m.csv:4: phone: not a telephone number: only digits, an optional leading +, spaces and"
        " hyphens",
        "m.csv:5: risk_ratio: must be a positive number",
        "m.csv:5: required_deposit: at most 2 decimals",
        "m.csv:5: deadline: has no UTC offset; add one, e.g. +08:00",
        "nothing from this file was queued: fix these lines and load it again",
    ]
    assert caught.value.code == "invalid-campaign"
    assert caught.value.problems[0] == (3, "account", "not an account number: 4-20 digits only")
    errors = caught.value.details["errors"]
    assert isinstance(errors, list)
    assert errors[0] == {
        "line": 3,
        "field": "account",
        "reason": "not an account number: 4-20 digits only",
    }


def test_a_short_code_or_extension_is_not_a_number() -> None:
    with pytest.raises(CampaignError, match=r"m.csv:2: phone: not a mainland mobile"):
        parse_margin_csv(
            (HEADER + "12345678,8001,1,1,2026-01-06T09:00:00+08:00\n").encode(), "m.csv"
        )


def test_header_duplicates_and_encoding() -> None:
    with pytest.raises(
        CampaignError, match=re.escape("m.csv:1: header: must be exactly account,phone")
    ):
        parse_margin_csv(b"acct,phone\n", "m.csv")
    with pytest.raises(
        CampaignError, match=re.escape("m.csv:3: line: same account and phone as line 2")
    ):
        parse_margin_csv((HEADER + GOOD + GOOD).encode(), "m.csv")
    with pytest.raises(CampaignError, match=re.escape("m.csv:1: file: not UTF-8")):
        parse_margin_csv((HEADER + GOOD).encode("utf-16"), "m.csv")
    with pytest.raises(CampaignError, match=re.escape("m.csv:2: line: has 2 fields, expected 5")):
        parse_margin_csv((HEADER + "1,2\n").encode(), "m.csv")
    assert len(parse_margin_csv(("\ufeff" + HEADER + GOOD).encode(), "m.csv")) == 1
