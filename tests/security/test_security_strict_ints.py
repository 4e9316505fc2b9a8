"""Strict whole numbers beyond the URLs (those go through `ivr.web.ints`, proved by the fuzz):
settings, the follow-up policy file and a flow's counters take ASCII digits only. Text that
`str.isdigit` accepts but `int` refuses (`²`, `٣`, fullwidth `８０`) is a clear error naming
where it came from, or (a flow counter) not a number: never a ValueError out of nowhere."""

from __future__ import annotations

import pytest

from ivr.errors import ConfigError, ErrorList
from ivr.followups.policy_file import parse_followup_policy
from ivr.settings import load_settings
from tests.unit.engine.helpers_engine import Call, flows_from


@pytest.mark.parametrize(
    ("variable", "value"),
    [("IVR_HTTP_PORT", "８０８０"), ("IVR_HTTP_PORT", "²"), ("IVR_ASR_LEAD_MS", "٣")],
)
def test_a_setting_in_other_digits_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {variable: value})
    assert variable in str(caught.value)


def test_a_policy_count_in_other_digits_is_reported_at_its_line() -> None:
    text = "kinds:\n  callback: {priority: normal, due: {within_min: '²'}}\n"
    with pytest.raises(ErrorList) as caught:
        parse_followup_policy(text, "followups.yaml")
    [first, *_] = [str(e) for e in caught.value.errors]
    assert first.startswith(
        "followups.yaml:2:50: kind 'callback' 'due' 'within_min' must be a whole number"
    )


@pytest.mark.parametrize(("start", "counted"), [("²", "1"), ("--5", "1"), ("-5", "-4")])
def test_a_flow_counter_counts_only_from_a_number(start: str, counted: str) -> None:
    flow = f"""
    flow: n
    languages: [zh-CN]
    start: b
    variables: {{n: "{start}"}}
    nodes:
      b: {{type: set, add: {{n: 1}}, next: c}}
      c: {{type: hangup}}
    """
    call = Call(flows_from(flow, check=False), "n")
    assert call.state.variables["n"] == counted
