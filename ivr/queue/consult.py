"""Transfers to a person: warm (consult, then complete or cancel), three-way conference, and
blind transfer to an agent or an outside number. Pure: `step(transfer, event) -> (transfer,
steps)`; the shell is `ivr.queue.consult_shell.Transfers`.

    t, steps = start_consult(Transfer(...))            # caller held, the target dialled
    t, steps = step(t, TargetAnswered())               # agent A and the target talk
    t, steps = step(t, Complete())                     # A leaves, caller and target talk

Phases:
- `consult_ringing`: the caller is on hold (out of the call's bridge, music on hold), the
  target's leg rings; `consulting`: the target is in the call's bridge with agent A;
- `conference`: the caller is back in the bridge: three talk;
- `blind_ringing`: agent A already left (blind transfer), the caller hears music while the
  target rings;
- `transferred`: the caller and the target talk; agent A is gone and call control owns the call
  (the waiting-call lifecycle let go of it at `Detach`): either hanging up ends it;
- `ended`.

Rules: no I/O. A request that does not apply in the phase raises `ControlRefused`. A target that
does not answer ends a consult (the caller stays on hold: the agent resumes) or sends a blind
transfer back to the call's queue (`Requeue`: same class, same first enqueue time). Cancel
brings the caller back to agent A at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import TypeAlias

from ivr.queue.control import (
    ControlRefused,
    DestroyBridge,
    Detach,
    HangUp,
    JoinBridge,
    LeaveBridge,
    Requeue,
    StartMoh,
    StopMoh,
)


class Phase(enum.StrEnum):
    CONSULT_RINGING = "consult_ringing"
    CONSULTING = "consulting"
    CONFERENCE = "conference"
    BLIND_RINGING = "blind_ringing"
    TRANSFERRED = "transferred"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Transfer:
    """One transfer of call `key` to a person (`target`: `agent:ID` or a masked number)."""

    key: str
    caller: str  # the caller's channel
    agent_leg: str  # agent A's leg
    bridge: str  # the call's bridge
    queue: str  # the call's queue: where a failed blind transfer goes back to
    target: str
    target_leg: str
    endpoint: str  # what is dialled for the target
    held: bool  # the caller is out of the bridge with music on hold
    phase: Phase = Phase.CONSULT_RINGING


@dataclass(frozen=True, slots=True)
class DialTarget:
    """Originate the target's leg into the app."""

    leg: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class Own:
    """Call control owns the call from now on (its bridge's events come here)."""


Step: TypeAlias = (
    DialTarget | Own | Detach | HangUp | DestroyBridge | JoinBridge | LeaveBridge | StartMoh
    | StopMoh | Requeue
)  # fmt: skip


# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetAnswered:
    pass


@dataclass(frozen=True, slots=True)
class TargetFailed:
    """The target's leg did not answer (busy, no answer) or went before answering."""


@dataclass(frozen=True, slots=True)
class TargetHungUp:
    pass


@dataclass(frozen=True, slots=True)
class TargetLeft:
    """The target's leg was taken out of the call's bridge (the bridge went)."""


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """The caller left the bridge of a call control owns (hung up)."""


@dataclass(frozen=True, slots=True)
class Complete:
    pass


@dataclass(frozen=True, slots=True)
class Cancel:
    pass


@dataclass(frozen=True, slots=True)
class Conference:
    pass


Event: TypeAlias = (
    TargetAnswered | TargetFailed | TargetHungUp | TargetLeft | CallerLeft | Complete | Cancel
    | Conference
)  # fmt: skip
Result: TypeAlias = tuple[Transfer, list[Step]]


def _hold(t: Transfer) -> list[Step]:
    return [] if t.held else [LeaveBridge(t.caller, t.bridge), StartMoh(t.caller, "default")]


def _back(t: Transfer) -> list[Step]:
    """The caller back into the bridge (music off)."""
    return [StopMoh(t.caller), JoinBridge(t.caller, t.bridge)] if t.held else []


def start_consult(t: Transfer) -> Result:
    """Warm transfer: the caller on hold, the target dialled."""
    steps = [*_hold(t), DialTarget(t.target_leg, t.endpoint)]
    return replace(t, held=True, phase=Phase.CONSULT_RINGING), steps


def start_blind(t: Transfer) -> Result:
    """Blind transfer to a person: agent A leaves now, the caller hears music meanwhile."""
    steps: list[Step] = [Detach(), *_hold(t), HangUp(t.agent_leg), Own()]
    steps.append(DialTarget(t.target_leg, t.endpoint))
    return replace(t, held=True, phase=Phase.BLIND_RINGING), steps


def step(t: Transfer, event: Event) -> Result:
    """Apply one event or request (see the module docstring)."""
    match (t.phase, event):
        case (Phase.CONSULT_RINGING, TargetAnswered()):
            return replace(t, phase=Phase.CONSULTING), [JoinBridge(t.target_leg, t.bridge)]
        case (Phase.BLIND_RINGING, TargetAnswered()):
            steps = [JoinBridge(t.target_leg, t.bridge), *_back(t)]
            return replace(t, held=False, phase=Phase.TRANSFERRED), steps
        case (Phase.CONSULT_RINGING, TargetFailed() | TargetHungUp()):
            return replace(t, phase=Phase.ENDED), []  # still on hold: the agent resumes
        case (Phase.BLIND_RINGING, TargetFailed() | TargetHungUp()):
            return replace(t, phase=Phase.ENDED), [DestroyBridge(t.bridge), Requeue(t.queue)]
        case (Phase.CONSULTING | Phase.CONFERENCE, TargetHungUp()):
            return replace(t, phase=Phase.ENDED), []
        case (Phase.CONSULTING | Phase.CONFERENCE, TargetLeft()):
            return replace(t, phase=Phase.ENDED), [HangUp(t.target_leg)]
        case (Phase.TRANSFERRED, TargetHungUp()):
            return replace(t, phase=Phase.ENDED), [HangUp(t.caller), DestroyBridge(t.bridge)]
        case (Phase.TRANSFERRED, CallerLeft()):
            return replace(t, phase=Phase.ENDED), [HangUp(t.target_leg), DestroyBridge(t.bridge)]
        case (Phase.CONSULTING | Phase.CONFERENCE, Complete()):
            steps = [Detach(), HangUp(t.agent_leg), *_back(t), Own()]
            return replace(t, held=False, phase=Phase.TRANSFERRED), steps
        case (Phase.CONSULT_RINGING | Phase.CONSULTING, Cancel()):
            return replace(t, held=False, phase=Phase.ENDED), [HangUp(t.target_leg), *_back(t)]
        case (Phase.CONSULTING, Conference()):
            return replace(t, held=False, phase=Phase.CONFERENCE), _back(t)
        case (_, Complete() | Cancel() | Conference()):
            name = type(event).__name__.lower()
            raise ControlRefused(
                f"Call '{t.key}' cannot {name} now: its transfer is {t.phase}",
                details={"call_id": t.key, "phase": str(t.phase)},
            )
    return t, []  # an event that does not apply in the phase
