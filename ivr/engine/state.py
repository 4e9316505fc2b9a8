"""Per-call engine state (`CallState`) and the call's end result (`Outcome`). Frozen data.

Rules: the runtime keeps the state between events and never edits it; only
`ivr.engine.interpreter` makes new states. Masked variables (`masked`) keep their clear value in
`variables` (lookups need it) but are shown masked everywhere else (`shown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal, TypeAlias

from ivr.engine.events import PlaybackId, RequestId, TimerName
from ivr.engine.masking import MaskMode, mask

Phase: TypeAlias = Literal["idle", "prompt", "input", "lookup", "record", "queued", "ending"]
OutcomeKind: TypeAlias = Literal[
    "queued", "answered", "abandoned", "hangup", "transferred", "caller_hangup", "error", "waiting"
]


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    flow: str
    node: str
    queue: str | None = None
    priority: str | None = None
    skills: Mapping[str, int] | None = None
    agent_id: str | None = None
    reason: str | None = None
    target: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: `{"outcome": kind, ...}` without the unset keys."""
        out: dict[str, object] = {"outcome": self.kind}
        for name in ("queue", "priority", "skills", "agent_id", "reason", "target", "flow", "node"):
            value = getattr(self, name)
            if value is not None:
                out[name] = dict(value) if isinstance(value, Mapping) else value
        return out


@dataclass(frozen=True)  # no slots: `evolve` copies its __dict__ (5x faster than `replace`)
class CallState:
    flow: str
    node: str
    language: str
    caller: str = ""
    dialed: str = ""
    started_at: datetime | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    phase: Phase = "idle"
    retries: int = 0
    confirming: int | None = None  # index of the menu option a yes/no question is about
    variables: Mapping[str, str] = field(default_factory=dict)
    masked: Mapping[str, MaskMode] = field(default_factory=dict)
    playing: tuple[PlaybackId, ...] = ()
    timers: frozenset[TimerName] = frozenset()
    speaking: bool = False  # the caller began an utterance not yet decided (a menu's prompt)
    recognizing: bool = False
    digits: str = ""
    request_id: RequestId | None = None
    recording: str | None = None
    queue: str | None = None
    seq: int = 0
    auto_hops: int = 0  # nodes entered in a row without caller input (loop guard)
    path: tuple[str, ...] = ()
    finished: bool = False
    outcome: Outcome | None = None

    def evolve(self, changes: Mapping[str, object]) -> CallState:
        """A copy with `changes` (what `dataclasses.replace` does, for the engine's hot path:
        several copies per event)."""
        if not changes.keys() <= _STATE_FIELDS:
            unknown = ", ".join(sorted(changes.keys() - _STATE_FIELDS))
            raise TypeError(f"CallState has no field {unknown}")
        copy = object.__new__(CallState)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def shown(self, name: str) -> str:
        """A variable as it may appear outside the engine (masked if secret)."""
        value = self.variables.get(name, "")
        mode = self.masked.get(name)
        return mask(value, mode) if mode else value


_STATE_FIELDS = frozenset(f.name for f in fields(CallState))
