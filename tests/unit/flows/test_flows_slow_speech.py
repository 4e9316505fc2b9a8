"""Slower speech for elderly callers: after 3 in the first menu every prompt is marked slow (the
renderer speaks it at 3/4 of the rate); before it, and for other callers, none is."""

from __future__ import annotations

from pathlib import Path

from ivr.engine import commands as c
from ivr.engine.loader import load_flows
from ivr.engine.sim import parse_inputs, simulate

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
