"""Helpers for engine unit tests: load flows from YAML text, drive calls, pick commands."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

from ivr.engine import commands as c
from ivr.engine.events import CallStarted, Event
from ivr.engine.interpreter import start, step
from ivr.engine.loader import parse_flow
from ivr.engine.model import FlowSet
from ivr.engine.state import CallState
from ivr.engine.validate import Context, validate

QUEUES = {
    "general": {"mandarin": 1, "general": 1},
    "vip": {"vip": 3},
    "account_services": {"account": 2},
    "trading_desk": {"emergency_order": 3},
}
SKILLS = frozenset(
    {"mandarin", "english", "general", "account", "emergency_order", "licensed", "vip"}
)
CONTEXT = Context(queues=QUEUES, skills=SKILLS, prompt_root=Path("/srv/prompts"))
MONDAY_10 = datetime(2026, 1, 5, 10, 0)


def flows_from(*texts: str, check: bool = True) -> FlowSet:
    flows = {}
    errors: list[str] = []
    for i, text in enumerate(texts):
        parsed = parse_flow(Path(f"f{i}.yaml"), textwrap.dedent(text).encode())
        errors.extend(str(e) for e in parsed.errors)
        assert parsed.flow is not None, errors
        flows[parsed.flow.name] = parsed.flow
    flow_set = FlowSet(flows)
    if check:
        errors.extend(str(e) for e in validate(flow_set, CONTEXT))
    assert errors == [], errors
    return flow_set


def errors_of(text: str, name: str = "flows/t.yaml") -> list[str]:
    """Every load + validation error of one flow text, as printed."""
    parsed = parse_flow(Path(name), textwrap.dedent(text).encode())
    errors = [str(e) for e in parsed.errors]
    if parsed.flow is not None:
        skip = {parsed.flow.name} if parsed.broken or parsed.errors else set()
        flow_set = FlowSet({parsed.flow.name: parsed.flow})
        errors.extend(str(e) for e in validate(flow_set, CONTEXT, skip_graph=skip))
    return errors


class Call:
    """Drives one call through the engine, keeping every command."""

    def __init__(
        self,
        flows: FlowSet,
        flow: str,
        *,
        caller: str = "13900000000",
        dialed: str = "95555",
        language: str | None = None,
        now: datetime = MONDAY_10,
        attributes: dict[str, str] | None = None,
    ) -> None:
        self.flows = flows
        event = CallStarted(caller, dialed, language, now, attributes or {})
        self.state, self.last = start(flows, flow, event)
        self.all: list[c.Command] = list(self.last)

    def send(self, event: Event) -> list[c.Command]:
        self.state, self.last = step(self.flows, self.state, event)
        self.all.extend(self.last)
        return self.last


def actions(commands: list[c.Command]) -> list[c.Command]:
    """Commands without trace entries."""
    return [cmd for cmd in commands if not isinstance(cmd, c.WriteTrace)]


def traces(commands: list[c.Command]) -> list[c.TraceEntry]:
    return [cmd.entry for cmd in commands if isinstance(cmd, c.WriteTrace)]


def texts(commands: list[c.Command]) -> list[str]:
    return [
        cmd.prompt.text
        for cmd in commands
        if isinstance(cmd, c.PlayPrompt) and isinstance(cmd.prompt, c.TtsPrompt)
    ]


def state_playing(state: CallState) -> str:
    assert state.playing, "nothing playing"
    return state.playing[-1]
