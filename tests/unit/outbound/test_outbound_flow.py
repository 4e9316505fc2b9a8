"""The shipped outbound flow `margin_notice` on the pure engine: facts spoken, `result` nodes
reported, every node reached."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.engine import commands as c
from ivr.engine import events as e
from ivr.engine.interpreter import start, step
from ivr.engine.model import FlowSet
from ivr.engine.sim import parse_inputs, simulate
from tests.unit.flows.harness import load_shipped

FACTS = {"account_last4": "5678", "risk_ratio": "112.5", "required_deposit": "50000.00",
         "deadline_text": "2026-01-06 09:00", "not_declared": "ignored"}  # fmt: skip
NOW = datetime(2026, 1, 5, 10, 0)


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    return load_shipped()


def _texts(commands: list[c.Command]) -> list[str]:
    return [
        cmd.prompt.text
        for cmd in commands
        if isinstance(cmd, c.PlayPrompt) and isinstance(cmd.prompt, c.TtsPrompt)
    ]


def test_the_notice_states_the_facts_and_press_1_reports_confirmed(flows: FlowSet) -> None:
    started = e.CallStarted("95555", "13900000010", None, NOW, variables=FACTS)
    state, commands = start(flows, "margin_notice", started)
    (notice,) = _texts(commands)
    assert "尾号5678" in notice
    assert "百分之112.5" in notice
    assert "50000.00元" in notice
    assert "2026-01-06 09:00" in notice
    assert "not_declared" not in state.variables  # only declared variables take facts
    (played,) = [cmd.playback_id for cmd in commands if isinstance(cmd, c.PlayPrompt)]
    state, commands = step(flows, state, e.PromptFinished(played))
    state, commands = step(flows, state, e.DigitPressed("1"))
    assert c.ReportResult("confirmed") in commands
    assert state.node == "thanks"


THANKS = {"outcome": "hangup", "reason": "confirmed", "node": "thanks"}
GOODBYE = {"outcome": "hangup", "reason": "no_confirmation", "node": "goodbye"}


@pytest.mark.parametrize(
    ("inputs", "results", "end"),
    [
        ("1", ["confirmed"], THANKS),
        ("9,1", ["confirmed"], THANKS),
        ("wait,wait,wait", ["no_confirmation"], GOODBYE),
        ("5,5,5", ["no_confirmation"], GOODBYE),
        ("0,queue:timeout", ["agent_requested", "no_confirmation"], GOODBYE),
    ],
)
def test_paths(flows: FlowSet, inputs: str, results: list[str], end: dict[str, str]) -> None:
    result = simulate(flows, "margin_notice", parse_inputs(inputs), now=NOW)
    assert [t.detail["result"] for t in result.trace if t.kind == "result"] == results
    outcome = result.outcome.as_dict()
    assert {k: outcome[k] for k in end} == end


def test_every_node_is_reached(flows: FlowSet) -> None:
    reached = set()
    for inputs in ("9,1", "wait,wait,wait", "0,queue:timeout"):
        result = simulate(flows, "margin_notice", parse_inputs(inputs), now=NOW)
        reached |= {t.node for t in result.trace if t.kind == "enter"}
    assert sorted(set(flows.flows["margin_notice"].nodes) - reached) == []
