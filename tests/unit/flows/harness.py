"""Harness for the shipped-flow tests: scripted calls through the simulator, with provider answers
the sample data cannot produce (a closed market, a failing back office) injected per call.

Rules: pure and deterministic like `ivr.engine.sim` (same loop, same fake runtime); a call names
its clock (`now`), so business hours and sessions never depend on when the tests run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ivr.engine import commands as c
from ivr.engine.events import CallStarted
from ivr.engine.interpreter import start, step
from ivr.engine.model import FlowSet
from ivr.engine.sim import MAX_EVENTS, SimResult, Simulation, next_event, parse_inputs
from ivr.engine.simfake import Answer, FakeProviders
from ivr.engine.state import Outcome
from ivr.engine.validate import Context, load_checked
from queueing.config import load_queues

ROOT = Path(__file__).resolve().parents[3]
FLOWS_DIR = ROOT / "flows"
QUEUES_FILE = ROOT / "config" / "queues.yaml"
SHIPPED = ("hotline", "emergency", "consult")  # flows/test_korean.yaml belongs to the ASR tests

MONDAY_10AM = datetime(2026, 1, 5, 10, 0)  # business hours, day session
MONDAY_6PM = datetime(2026, 1, 5, 18, 0)  # after business hours
UNKNOWN_CALLER = "13900000000"
VIP_CALLER = "13800000001"

# (account, PIN) pairs of the documented sample data
GOLD = ("12345678", "123456")  # 张伟, vip tier gold, 2 trades, risk normal
PLAIN = ("87654321", "654321")  # 李娜, no tier, no trades, risk high

ERROR: Answer = ("error", {})
MARKET_CLOSED: Answer = ("closed", {"session": "", "next_open": "21:00"})


def queue_context() -> Context:
    config = load_queues(QUEUES_FILE)
    queues = {name: dict(q.skills) for name, q in config.queues.items()}
    return Context(queues=queues, skills=config.skills, prompt_root=ROOT / "prompts")


def load_shipped() -> FlowSet:
    return load_checked([FLOWS_DIR], queue_context())


@dataclass(slots=True)
class ScriptedProviders(FakeProviders):
    """The sample data, except for providers given a fixed answer in `answers`."""

    answers: Mapping[str, Answer] = field(default_factory=dict)

    def lookup(self, provider: str, params: Mapping[str, str]) -> Answer:
        if provider in self.answers:
            return self.answers[provider]
        return FakeProviders.lookup(self, provider, params)


@dataclass(frozen=True, slots=True)
class Call:
    """One scripted call: the flow it enters, simulator input tokens and the call's facts."""

    flow: str
    inputs: str
    caller: str = UNKNOWN_CALLER
    dialed: str = "95555"
    language: str | None = None
    now: datetime = MONDAY_10AM
    answers: Mapping[str, Answer] = field(default_factory=dict)


def run(flows: FlowSet, call: Call) -> SimResult:
    """`ivr.engine.sim.simulate` with `call.answers` injected into the fake providers."""
    sim = Simulation(flows, call.language)
    sim.fake = ScriptedProviders(call.language or "zh-CN", answers=call.answers)
    started = CallStarted(call.caller, call.dialed, call.language, call.now, {})
    state, commands = start(flows, call.flow, started)
    sim.absorb(state, commands)
    scripted = deque(parse_inputs(call.inputs))
    for _ in range(MAX_EVENTS):
        event = None if state.finished else next_event(sim, scripted, state)
        if event is None:
            break
        state, commands = step(flows, state, event)
        sim.absorb(state, commands)
    outcome = state.outcome or Outcome("waiting", state.flow, state.node)
    return SimResult(state, outcome, sim.result_trace, sim.prompts, sim.commands)


def visited(result: SimResult) -> set[tuple[str, str]]:
    return {(t.flow, t.node) for t in result.trace if t.kind == "enter"}


def enqueued(result: SimResult) -> c.Enqueue:
    """The last Enqueue command of the call."""
    queued = [cmd for cmd in result.commands if isinstance(cmd, c.Enqueue)]
    assert queued, "the call was never queued"
    return queued[-1]


def lookups(result: SimResult) -> list[c.Lookup]:
    return [cmd for cmd in result.commands if isinstance(cmd, c.Lookup)]
