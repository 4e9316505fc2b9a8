"""Slower speech for elderly callers: after 3 in the first menu every prompt is marked slow (the
renderer speaks it at 3/4 of the rate); before it, and for other callers, none is."""

from __future__ import annotations

from pathlib import Path

from ivr.call.session_parts import FALLBACK_TEXT, said_prompt
from ivr.engine import commands as c
from ivr.engine.loader import load_flows
from ivr.engine.sim import parse_inputs, simulate
from ivr.engine.state import CallState

ROOT = Path(__file__).resolve().parents[3]
FLOWS = load_flows([ROOT / "flows"])


def prompts(inputs: str) -> list[c.TtsPrompt]:
    result = simulate(FLOWS, "hotline", parse_inputs(inputs))
    return [
        cmd.prompt
        for cmd in result.commands
        if isinstance(cmd, c.PlayPrompt) and isinstance(cmd.prompt, c.TtsPrompt)
    ]


def test_three_makes_every_later_prompt_slow() -> None:
    played = prompts("3,0")
    assert not played[0].slow  # the first menu itself
    assert played[1].text.startswith("您好，欢迎致电")
    assert all(p.slow for p in played[1:])


def test_other_callers_hear_the_normal_rate() -> None:
    assert not any(p.slow for p in prompts("1,0"))


def enqueued(inputs: str) -> c.Enqueue:
    result = simulate(FLOWS, "hotline", parse_inputs(inputs))
    [enqueue] = [cmd for cmd in result.commands if isinstance(cmd, c.Enqueue)]
    return enqueue


def test_the_queue_and_the_agent_learn_that_the_caller_chose_slower_speech() -> None:
    """The screen pop carries it (the agent speaks slowly too) and the queue's own words (the
    position, the callback offer) are spoken slower from it."""
    assert enqueued("3,0").attributes["speech_rate"] == "slow"
    assert "speech_rate" not in enqueued("1,0").attributes


def test_runtime_apologies_follow_the_callers_rate() -> None:
    state = simulate(FLOWS, "hotline", parse_inputs("3,0")).state
    assert isinstance(state, CallState)
    assert said_prompt(FALLBACK_TEXT, "zh-CN", state).slow
    assert said_prompt(FALLBACK_TEXT, "zh-CN", state).text == FALLBACK_TEXT["zh-CN"]
    assert not said_prompt(FALLBACK_TEXT, "en", None).slow
    assert said_prompt(FALLBACK_TEXT, "en", None).text == FALLBACK_TEXT["en"]
