"""The flow simulator: runs the pure engine with scripted caller inputs and fake providers.

Rules: deterministic (fixed default clock, `FakeProviders` sample data; `market_status` answers
from the flows' trading calendar at the call's start, like `market_open`); prompts always play to
the end before the next scripted input; lookups (sample data, or fixed `answers`) and recordings
answer at once; bounded (`MAX_EVENTS`), so a looping flow ends the simulation instead of hanging.
Input tokens (`parse_inputs`):
`0-9*#` keys (several keys in one token are pressed in turn), `say:TEXT`, `wait`, `hangup`,
`queue:answered|timeout|overflow|abandoned`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.engine import commands as c
from ivr.engine import events as e
from ivr.engine.hearing import hear_text
from ivr.engine.interpreter import start, step
from ivr.engine.model import FlowSet
from ivr.engine.simfake import Answer, FakeProviders
from ivr.engine.state import CallState, Outcome
from ivr.errors import IvrError

MAX_EVENTS = 10_000
DEFAULT_NOW = datetime(2026, 1, 5, 10, 0)  # a Monday, inside the day session
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")  # simulated calls run on the hotline's local time
DEFAULT_CALLER = "13900000000"
DEFAULT_DIALED = "95555"
RECORDING_S = 5.0
DTMF = frozenset("0123456789*#")
QUEUE_RESULTS = ("answered", "timeout", "overflow", "abandoned")


class SimInputError(IvrError):
    """A scripted input token the simulator does not understand."""


@dataclass(slots=True)
class SimResult:
    state: CallState
    outcome: Outcome
    trace: list[c.TraceEntry] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    commands: list[c.Command] = field(default_factory=list)

    def screen_pop(self) -> dict[str, str] | None:
        """The attributes (masked) of the call's last `Enqueue`, None if it was never queued."""
        queued = [cmd for cmd in self.commands if isinstance(cmd, c.Enqueue)]
        return dict(queued[-1].attributes) if queued else None


def parse_inputs(text: str) -> list[e.Event]:
    events: list[e.Event] = []
    for raw in text.split(","):
        token = raw.strip()
        if not token:
            continue
        events.extend(parse_token(token))
    return events


def parse_token(token: str) -> list[e.Event]:
    if all(ch in DTMF for ch in token):
        return [e.DigitPressed(ch) for ch in token]
    if token.startswith("say:") and token[4:].strip():
        return [e.SpeechRecognised(token[4:].strip(), 0.9)]
    if token == "wait":
        return [e.TimerFired(e.TimerName("input"))]
    if token == "hangup":
        return [e.CallerHungUp("normal")]
    if token.startswith("queue:") and token[6:] in QUEUE_RESULTS:
        return [e.QueueOutcome(token[6:], "", "agent-1" if token == "queue:answered" else None)]  # type: ignore[arg-type]
    raise SimInputError(
        f"unknown input {token!r}: use keys 0-9 * #, say:TEXT, wait, hangup, "
        "or queue:answered|timeout|overflow|abandoned"
    )


class Simulation:
    def __init__(
        self,
        flows: FlowSet,
        language: str | None,
        answers: Mapping[str, Answer] | None = None,
        now: datetime | None = None,
    ) -> None:
        self.flows = flows
        self.fake = FakeProviders(
            language or "zh-CN", answers=answers or {}, calendar=flows.calendar, now=now
        )
        self.auto: deque[e.Event] = deque()
        self.result_trace: list[c.TraceEntry] = []
        self.prompts: list[str] = []
        self.commands: list[c.Command] = []
        self.listening: tuple[str, ...] | None = None  # the grammar live speech would use

    def absorb(self, state: CallState, commands: list[c.Command]) -> None:
        """Record the commands and queue the events the fake runtime answers with."""
        self.commands.extend(commands)
        for command in commands:
            match command:
                case c.WriteTrace(entry):
                    self.result_trace.append(entry)
                case c.PlayPrompt(playback_id, prompt):
                    text = prompt.text if isinstance(prompt, c.TtsPrompt) else f"<{prompt.path}>"
                    self.prompts.append(text)
                    self.auto.append(e.PromptFinished(playback_id))
                case c.StopPlayback(playback_id):
                    self.auto = deque(ev for ev in self.auto if ev != e.PromptFinished(playback_id))
                case c.Lookup():
                    self.fake.language = state.language
                    result, data = self.fake.lookup(command.provider, command.params)
                    self.auto.append(
                        e.LookupResult(command.request_id, command.provider, result, data)
                    )
                case c.Record(name):
                    self.auto.append(e.RecordingDone(name, RECORDING_S))
                case c.StartRecognition(_, grammar):
                    self.listening = grammar
                case c.StopRecognition():
                    self.listening = None
                case _:
                    pass


def simulate(
    flows: FlowSet,
    flow_name: str,
    inputs: Sequence[e.Event],
    *,
    language: str | None = None,
    caller: str = DEFAULT_CALLER,
    dialed: str = DEFAULT_DIALED,
    now: datetime = DEFAULT_NOW,
    answers: Mapping[str, Answer] | None = None,
) -> SimResult:
    """Run `flow_name` with scripted inputs until the call ends, waits in a queue, or the inputs
    run out (outcome `waiting`). `now` is the call's local wall time (business hours, market);
    `answers` fixes some providers' answers (`simfake.forced_answer`); the rest is sample data."""
    sim = Simulation(flows, language, answers, now)
    state, commands = start(flows, flow_name, e.CallStarted(caller, dialed, language, now, {}))
    sim.absorb(state, commands)
    scripted = deque(inputs)
    for _ in range(MAX_EVENTS):
        if state.finished:
            break
        event = next_event(sim, scripted, state)
        if event is None:
            break
        state, commands = step(flows, state, event)
        sim.absorb(state, commands)
    outcome = state.outcome or Outcome("waiting", state.flow, state.node)
    return SimResult(state, outcome, sim.result_trace, sim.prompts, sim.commands)


def next_event(sim: Simulation, scripted: deque[e.Event], state: CallState) -> e.Event | None:
    if sim.auto:
        return sim.auto.popleft()
    while scripted:
        event = scripted.popleft()
        if not isinstance(event, e.SpeechRecognised):
            return scripted_event(event, state)
        heard = said(sim, event.text, state.language)
        if heard is not None:
            return heard
    return None


def said(sim: Simulation, text: str, language: str) -> e.SpeechRecognised | None:
    """`say:TEXT` as a live call hears it: through the intent matcher with the grammar the
    engine asked for (`ivr.engine.hearing`); nothing when nobody listens, as live."""
    if sim.listening is None:
        return None
    return hear_text(sim.listening, language, text)


def scripted_event(event: e.Event, state: CallState) -> e.Event:
    if isinstance(event, e.QueueOutcome):
        return e.QueueOutcome(event.outcome, state.queue or "", event.agent_id)
    if isinstance(event, e.TimerFired) and e.TimerName("input") not in state.timers:
        return e.NoInput()
    return event


def transcript(result: SimResult) -> list[str]:
    """Human-readable lines: nodes entered, prompts, inputs, decisions, the outcome."""
    lines: list[str] = []
    for entry in result.trace:
        line = transcript_line(entry)
        if line is not None:
            lines.append(line)
    summary = " ".join(f"{k}={v}" for k, v in result.outcome.as_dict().items() if k != "outcome")
    lines.append(f"outcome: {result.outcome.kind} {summary}")
    return lines


def transcript_line(entry: c.TraceEntry) -> str | None:
    d = entry.detail
    match entry.kind:
        case "enter":
            return f"[{entry.flow}.{entry.node}] {d.get('type', '')}"
        case "prompt":
            return f"  says: {d['text']}" if "text" in d else f"  plays: {d.get('audio', '')}"
        case "input" if d.get("event") == "prompt_finished":
            return None
        case "input":
            return "  caller: " + " ".join(f"{k}={v}" for k, v in d.items())
        case "start" | "ignored":
            return None
        case _:
            return f"  {entry.kind}: " + " ".join(f"{k}={v}" for k, v in d.items())
