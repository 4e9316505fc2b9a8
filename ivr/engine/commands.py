"""Commands: what the pure engine asks the call runtime to do (imperative, frozen).

The engine's output contract (`ivr.engine.interpreter.start/step` return them in order; the runtime
executes them in that order and reports back with events from `ivr.engine.events`):

- `PlayPrompt(playback_id, prompt)`: play a `TtsPrompt` (text already rendered with variables and
  masked where needed) or an `AudioPrompt` (file relative to the prompt root). Several PlayPrompts
  in a row play one after the other; each ends with `PromptFinished(playback_id)`.
- `StopPlayback(playback_id)`: stop (or skip, if not yet started) that playback.
- `StartTimer(name, duration_s)`: start a timer, replacing a running timer of the same name;
  `TimerFired(name)` when it runs out. `CancelTimer(name)`: forget it (no event).
- `StartRecognition(language, grammar)`: listen for speech; `grammar` lists the phrases accepted.
  `StopRecognition()`: stop listening.
- `Lookup(request_id, provider, params, secret_params)`: ask a data provider; answer with
  `LookupResult(request_id, ...)`. `params` may hold clear PINs: never log them (the repr masks
  the keys listed in `secret_params`).
- `Enqueue(queue, skills, priority, max_wait_s, overflow_queue, overflow_after_s, offer_callback,
  attributes)`: put the call in an agent queue; answer with `QueueOutcome`. `attributes` is the
  screen pop (already masked). `Dequeue(queue, reason)`: take the call out again.
- `Record(name, purpose, max_s, beep)`: record the caller; `RecordingDone(name, ...)` when done.
  `name` is unique within the call (the runtime makes it globally unique). `StopRecording(name)`.
- `Transfer(target)`: blind transfer (the flow ends). `Hangup(reason)`: end the call.
- `ReportResult(result)`: an outbound call's outcome (a `result` node, e.g. `confirmed`): the
  runtime stores it with the time and the last key pressed; no event answers it.
- `WriteTrace(entry)`: append a `TraceEntry(flow, node, kind, detail)` to the call record. Inputs
  are already masked. Every engine step emits at least one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from ivr.engine.events import PlaybackId, RequestId, TimerName
from ivr.engine.model import Priority

TraceKind: TypeAlias = Literal[
    "start", "enter", "prompt", "input", "decision", "lookup", "result", "enqueue", "queue",
    "record", "end", "ignored", "error", "restart", "rejoin", "adopted",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class TtsPrompt:
    """Text to synthesise, variables already substituted (masked values stay masked).
    `private`: the text was filled in from variables (caller data): it is rendered for this
    call only, never cached or kept on disk (docs/security.md, "Private audio").
    `slow`: spoken at the renderer's slower rate (elderly callers, docs/flows.md)."""

    text: str
    language: str
    voice: str | None = None
    private: bool = False
    slow: bool = False  # the call chose slower speech (variable `speech_rate: slow`)


@dataclass(frozen=True, slots=True)
class AudioPrompt:
    """A recorded file, relative to the prompt root (validated: no `..`, not absolute)."""

    path: str
    language: str


Prompt: TypeAlias = TtsPrompt | AudioPrompt


@dataclass(frozen=True, slots=True)
class TraceEntry:
    flow: str
    node: str
    kind: TraceKind
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlayPrompt:
    playback_id: PlaybackId
    prompt: Prompt


@dataclass(frozen=True, slots=True)
class StopPlayback:
    playback_id: PlaybackId


@dataclass(frozen=True, slots=True)
class StartTimer:
    name: TimerName
    duration_s: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    name: TimerName


@dataclass(frozen=True, slots=True)
class StartRecognition:
    language: str
    grammar: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StopRecognition:
    pass


@dataclass(frozen=True, slots=True, repr=False)
class Lookup:
    request_id: RequestId
    provider: str
    params: Mapping[str, str]
    secret_params: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        shown = {k: ("****" if k in self.secret_params else v) for k, v in self.params.items()}
        return (
            f"Lookup(request_id={self.request_id!r}, provider={self.provider!r}, params={shown!r})"
        )


@dataclass(frozen=True, slots=True)
class Enqueue:
    queue: str
    skills: Mapping[str, int]  # required on top of the queue's own skills (often empty)
    priority: Priority
    max_wait_s: float
    overflow_queue: str | None = None
    overflow_after_s: float | None = None
    offer_callback: bool = False
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dequeue:
    queue: str
    reason: str


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    purpose: str
    max_s: float
    beep: bool = True


@dataclass(frozen=True, slots=True)
class StopRecording:
    name: str


@dataclass(frozen=True, slots=True)
class Transfer:
    target: str


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str = "normal"


@dataclass(frozen=True, slots=True)
class ReportResult:
    result: str


@dataclass(frozen=True, slots=True)
class WriteTrace:
    entry: TraceEntry


Command: TypeAlias = (
    PlayPrompt
    | ReportResult
    | StopPlayback
    | StartTimer
    | CancelTimer
    | StartRecognition
    | StopRecognition
    | Lookup
    | Enqueue
    | Dequeue
    | Record
    | StopRecording
    | Transfer
    | Hangup
    | WriteTrace
)
