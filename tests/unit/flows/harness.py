"""Harness for the shipped-flow tests: scripted calls through the simulator (`ivr.engine.sim`),
with provider answers the sample data cannot produce (a closed market, a failing back office)
fixed per call.

Rules: pure and deterministic like the simulator; a call names its clock (`now`), so business
hours and sessions never depend on when the tests run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ivr.engine import commands as c
from ivr.engine.model import FlowSet
from ivr.engine.sim import SimResult, parse_inputs, simulate
from ivr.engine.simfake import Answer, forced_answer
from ivr.engine.validate import Context, load_checked
from queueing.config import load_queues

ROOT = Path(__file__).resolve().parents[3]
FLOWS_DIR = ROOT / "flows"
QUEUES_FILE = ROOT / "config" / "queues.yaml"
SHIPPED = ("hotline", "emergency", "consult")  # every flow of flows/

MONDAY_10AM = datetime(2026, 1, 5, 10, 0)  # business hours, day session
MONDAY_6PM = datetime(2026, 1, 5, 18, 0)  # after business hours
UNKNOWN_CALLER = "13900000000"
VIP_CALLER = "13800000001"

# (account, PIN) pairs of the documented sample data
GOLD = ("12345678", "123456")  # 张伟, vip tier gold, 2 trades, risk normal
PLAIN = ("87654321", "654321")  # 李娜, no tier, no trades, risk high

ERROR: Answer = ("error", {})  # any provider failing
MARKET_CLOSED: Answer = forced_answer("market_status", "closed")


def queue_context() -> Context:
    config = load_queues(QUEUES_FILE)
    queues = {name: dict(q.skills) for name, q in config.queues.items()}
    return Context(queues=queues, skills=config.skills, prompt_root=ROOT / "prompts")


def load_shipped() -> FlowSet:
    return load_checked([FLOWS_DIR], queue_context())


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
    """`ivr.engine.sim.simulate` of one scripted call."""
    return simulate(
        flows,
        call.flow,
        parse_inputs(call.inputs),
        language=call.language,
        caller=call.caller,
        dialed=call.dialed,
        now=call.now,
        answers=call.answers,
    )


def visited(result: SimResult) -> set[tuple[str, str]]:
    return {(t.flow, t.node) for t in result.trace if t.kind == "enter"}


def enqueued(result: SimResult) -> c.Enqueue:
    """The last Enqueue command of the call."""
    queued = [cmd for cmd in result.commands if isinstance(cmd, c.Enqueue)]
    assert queued, "the call was never queued"
    return queued[-1]


def lookups(result: SimResult) -> list[c.Lookup]:
    return [cmd for cmd in result.commands if isinstance(cmd, c.Lookup)]
