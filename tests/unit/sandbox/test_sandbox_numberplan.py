"""The sandbox's outside numbers: behaviour chosen by the last digit of a trunk number."""

from __future__ import annotations

from ivr.sandbox.numberplan import outside_behavior, trunk_number


def test_only_trunk_endpoints_have_an_outside_number() -> None:
    assert trunk_number("PJSIP/13900000010@carrier") == "13900000010"
    assert trunk_number("Local/1234@agent-auto") is None
    assert trunk_number("PJSIP/8001") is None


def test_the_last_digit_chooses_the_behaviour() -> None:
    confirm = outside_behavior("13900000010")
    assert (confirm.press, confirm.answer_after_s) == ("1", 2.0)
    assert outside_behavior("13900000011").press is None
    assert outside_behavior("13900000012").busy
    assert outside_behavior("13900000013").never_answer
    assert outside_behavior("13900000014").fail_cause == 34
    assert outside_behavior("13900000015").fail_cause == 1
    assert outside_behavior("13900000016").press == "0"
    assert outside_behavior("13900000019").press == "1"
