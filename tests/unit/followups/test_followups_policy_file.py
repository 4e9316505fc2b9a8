"""`config/followups.yaml` errors name file:line:col and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ErrorList
from ivr.followups.policy_file import parse_followup_policy

KINDS = """\
kinds:
  phone_order:   {priority: urgent, alert: true, due: {within_min: 5, closed: next_open}}
  pin_unlock:    {priority: urgent, due: {within_min: 15}}
  margin_notice: {priority: urgent, due: {within_min: 30}}
  callback:      {priority: normal, due: {within_min: 60}}
  voice_message: {priority: normal, due: {within_min: 240}}
  complaint:     {priority: normal, due: {trading_days: 5}}
  survey:        {priority: low, due: {trading_days: 5}}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(ErrorList) as caught:
        parse_followup_policy(text, "followups.yaml")
    return [str(e) for e in caught.value.errors]


def test_a_good_file_loads() -> None:
    policy = parse_followup_policy(KINDS + "tickets: {complaint: complaint}\n", "f.yaml")
    assert policy.for_ticket("complaint") is not None
    assert policy.kinds["phone_order"].due.closed_next_open


def test_bad_values_are_reported_together_at_their_lines() -> None:
    text = (
        KINDS.replace("priority: low", "priority: lowest").replace(
            "{within_min: 60}", "{within_min: -1}"
        )
        + "tickets: {complaint: complain}\n"
        + "callbacks:\n  pin_locked: {kind: pin_unlock, urgent: 1}\n"
    )
    assert errors(text) == [
        "followups.yaml:5:55: kind 'callback' 'due' 'within_min' must be a whole number of at "
        "least 1 (got '-1')",
        "followups.yaml:8:29: kind 'survey' 'priority' 'lowest' must be one of urgent, normal, low",
        "followups.yaml:9:22: ticket kind 'complaint' 'complain' is not a kind (one of callback, "
        "phone_order, complaint, voice_message, pin_unlock, margin_notice, survey)",
        "followups.yaml:11:34: callback reason 'pin_locked': unknown key 'urgent' (expected one of "
        "kind, priority, due, alert, escalate_after_min)",
    ]


def test_a_due_rule_needs_exactly_one_kind_of_deadline() -> None:
    text = KINDS.replace(
        "{trading_days: 5}}\n  survey", "{trading_days: 5, at: next_open}}\n  survey"
    )
    assert errors(text) == [
        "followups.yaml:7:42: kind 'complaint' 'due' needs exactly one of within_min, at, "
        "trading_days"
    ]


def test_a_missing_kind_is_named() -> None:
    text = "\n".join(line for line in KINDS.splitlines() if "survey" not in line) + "\n"
    assert errors(text) == ["followups.yaml:2:3: 'kinds': no policy for survey: add them"]


def test_recorded_kinds_come_from_the_file_and_belong_to_a_kind() -> None:
    text = KINDS.replace(
        "{priority: urgent, due: {within_min: 30}}",
        "{priority: urgent, due: {within_min: 30}, recorded: true}",
    )
    policy = parse_followup_policy(text + "tickets: {}\n", "f.yaml")
    assert policy.recorded_kinds() == {"margin_notice"}
    bad = text + "callbacks:\n  late_order: {kind: phone_order, recorded: true}\n"
    assert errors(bad) == [
        "followups.yaml:10:35: callback reason 'late_order': unknown key 'recorded' (expected one "
        "of kind, priority, due, alert, escalate_after_min)",
    ]
    typo = KINDS.replace("{priority: low,", "{priority: low, recorded: yes,")
    assert errors(typo) == [
        "followups.yaml:8:44: kind 'survey' 'recorded' must be true or false (got 'yes')"
    ]


def test_the_shipped_file_records_phone_orders_and_margin_notices() -> None:
    shipped = Path(__file__).resolve().parents[3] / "config" / "followups.yaml"
    policy = parse_followup_policy(shipped.read_text(encoding="utf-8"), shipped)
    assert policy.recorded_kinds() == {"phone_order", "margin_notice"}
