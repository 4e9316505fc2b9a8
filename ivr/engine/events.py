"""Events: the facts the call runtime feeds into the pure engine (past tense, frozen).

The engine's input contract (`ivr.engine.interpreter.step`). The runtime (ARI session, simulator)
translates what happened on the channel into one of these and never anything else:

- `CallStarted(caller, dialed, language, now, attributes)`: the call entered the flow. `now` is the
  local wall time supplied by the shell; the engine never reads a clock.
- `DigitPressed(digit)`: one DTMF key, `0-9 * #`.
- `SpeechRecognised(text, confidence)`: a final recognition result (confidence 0.0-1.0).
- `UtteranceStarted()`: the recogniser hears the caller begin to speak (its final result follows);
  a menu waiting for input then gives the utterance `SPEECH_HOLD_S` to be decided.
- `NoInput()`: the recogniser heard nothing before its own deadline (same as the `input` timer).
- `PromptFinished(playback_id)`: a `PlayPrompt` ended (played out or stopped).
- `TimerFired(name)`: a `StartTimer` ran out (not sent for cancelled/replaced timers).
- `LookupResult(request_id, provider, result, data)`: a provider answered a `Lookup`; provider
  failures and exceptions arrive as `result="error"`.
- `QueueOutcome(outcome, queue, agent_id)`: what became of an `Enqueue`.
- `RecordingDone(name, duration_s, reason)`: a `Record` ended.
- `CallerHungUp(cause)`: the caller's channel is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NewType, TypeAlias

PlaybackId = NewType("PlaybackId", str)
RequestId = NewType("RequestId", str)
TimerName = NewType("TimerName", str)
# agent_left: after `answered`, the agent hung up first and the caller is still on the line
FlowQueueResult: TypeAlias = Literal["answered", "timeout", "abandoned", "overflow", "agent_left"]


@dataclass(frozen=True, slots=True)
class CallStarted:
    caller: str
    dialed: str
    language: str | None
    now: datetime  # local wall time supplied by the shell; the engine never reads a clock
    attributes: Mapping[str, str] = field(default_factory=dict)
    # facts the shell supplies for the flow's declared `variables:` (an outbound call's notice)
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DigitPressed:
    digit: str


@dataclass(frozen=True, slots=True)
class SpeechRecognised:
    text: str
    confidence: float
    unsure: bool = False  # the recogniser doubts it heard this (a menu may confirm it)


@dataclass(frozen=True, slots=True)
class UtteranceStarted:
    pass


@dataclass(frozen=True, slots=True)
class NoInput:
    pass


@dataclass(frozen=True, slots=True)
class PromptFinished:
    playback_id: PlaybackId


@dataclass(frozen=True, slots=True)
class TimerFired:
    name: TimerName


@dataclass(frozen=True, slots=True)
class LookupResult:
    request_id: RequestId
    provider: str
    result: str
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueOutcome:
    outcome: FlowQueueResult
    queue: str
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingDone:
    name: str
    duration_s: float
    reason: str = "finished"  # finished | max_duration | stopped | failed


@dataclass(frozen=True, slots=True)
class CallerHungUp:
    cause: str = "normal"


Event: TypeAlias = (
    CallStarted
    | DigitPressed
    | SpeechRecognised
    | UtteranceStarted
    | NoInput
    | PromptFinished
    | TimerFired
    | LookupResult
    | QueueOutcome
    | RecordingDone
    | CallerHungUp
)
