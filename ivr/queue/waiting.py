"""A call waiting in a queue, as data: its state (`Waiting`), events and actions. Pure.

`ivr.queue.lifecycle.step` maps (state, event) to (state, actions); this module only declares
them. Events are facts, in the past tense, that the shell (`ivr.queue.runtime`) observes: ARI
events of the agent's and the client's legs, the router's offers and reaps, the max-wait timer,
the caller's exit keys, the store's answer to a callback booking, the result of a bridge. Actions
are requests, imperative, that the shell executes in order: ARI (dial, bridge, hang up, music on
hold), the queue store (answer, requeue, end, remove, book), the session (`Deliver`), the
announcer and the router.

Phases:
- `waiting`: in line, on hold, no agent.
- `booking_callback`: `*` taken; the store's answer to the callback booking is awaited.
- `ringing_agent`: the call is offered to an agent whose phone rings.
- `bridging`: the agent answered; caller and agent are being put in one bridge.
- `bridged`: caller and agent talk; the flow heard `answered`.
- `callback_waiting`: the caller hung up keeping the place in line (a callback request).
- `callback_ringing_agent`: an agent's phone rings for that request.
- `callback_bridging`: that agent answered; the agent's bridge is being made.
- `calling_back`: agent in the bridge, the requester's number is dialled.
- `callback_bridged`: the requester answered and joins the agent.
- `ended`: nothing left here; the shell forgets the call.

Rules: frozen dataclasses only; no I/O, no clock, no asyncio. Legs and bridges are ids in the
state: the shell routes ARI events of exactly the legs the state holds to this call.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypeAlias

from ivr.engine import events as ev
from queueing.config import ExitOption
from queueing.model import QueueResult
from queueing.policy import AgentId


class Phase(enum.StrEnum):
    """Where a waiting call is in its lifecycle (see the module docstring)."""

    WAITING = "waiting"
    BOOKING_CALLBACK = "booking_callback"
    RINGING_AGENT = "ringing_agent"
    BRIDGING = "bridging"
    BRIDGED = "bridged"
    CALLBACK_WAITING = "callback_waiting"
    CALLBACK_RINGING_AGENT = "callback_ringing_agent"
    CALLBACK_BRIDGING = "callback_bridging"
    CALLING_BACK = "calling_back"
    CALLBACK_BRIDGED = "callback_bridged"
    ENDED = "ended"


CALLBACK_PHASES = frozenset(
    {
        Phase.CALLBACK_WAITING,
        Phase.CALLBACK_RINGING_AGENT,
        Phase.CALLBACK_BRIDGING,
        Phase.CALLING_BACK,
        Phase.CALLBACK_BRIDGED,
    }
)
CONNECTED_PHASES = frozenset({Phase.BRIDGED, Phase.CALLING_BACK, Phase.CALLBACK_BRIDGED})
RINGING_PHASES = frozenset({Phase.RINGING_AGENT, Phase.CALLBACK_RINGING_AGENT})  # not answered


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """The leg that rings (then carries) one agent for this call."""

    channel_id: str
    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class Waiting:
    """One queued call as this process holds it."""

    key: str  # the call key (the caller's channel id)
    channel_id: str  # the caller's channel
    queue: str
    caller: str = ""  # the caller's number: agent caller id, and the number called back
    phase: Phase = Phase.WAITING
    agent: AgentLeg | None = None
    bridge: str | None = None  # a bridge made here for this call (destroyed here)
    client: str | None = None  # the leg calling a callback requester back
    survey: bool = False  # the queue's `survey`: an agent hanging up leaves the caller a survey

    @property
    def callback(self) -> bool:
        """A callback request: the caller hung up, the place in line is kept."""
        return self.phase in CALLBACK_PHASES

    @property
    def connected(self) -> bool:
        """An agent took the call (the store counts it answered)."""
        return self.phase in CONNECTED_PHASES


# ---- events (facts, past tense) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentOffered:
    """The store reserved an agent for the call: ring `endpoint` for `ring_s`."""

    leg: AgentLeg
    endpoint: str
    ring_s: int


@dataclass(frozen=True, slots=True)
class AgentAnswered:
    leg: str


@dataclass(frozen=True, slots=True)
class AgentDialFailed:
    """The agent's phone will not answer: `reason` is the dial status in lower case
    (`noanswer`, `busy`, ...) or `dial_failed` when ARI refused to originate."""

    leg: str
    reason: str


@dataclass(frozen=True, slots=True)
class AgentHungUp:
    leg: str


@dataclass(frozen=True, slots=True)
class BridgeJoined:
    """`JoinBridge` for `leg` is done: every channel it named is in the bridge."""

    leg: str


@dataclass(frozen=True, slots=True)
class BridgeFailed:
    leg: str


@dataclass(frozen=True, slots=True)
class ClientAnswered:
    leg: str


@dataclass(frozen=True, slots=True)
class ClientDialFailed:
    leg: str
    reason: str


@dataclass(frozen=True, slots=True)
class ClientHungUp:
    leg: str


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """The session gave the caller up: hang-up, or the flow's `Dequeue`."""

    reason: str


@dataclass(frozen=True, slots=True)
class MaxWaitReached:
    pass


@dataclass(frozen=True, slots=True)
class OfferReaped:
    """The store released the call's offer: the agent did not answer within the ring time."""


@dataclass(frozen=True, slots=True)
class ExitChosen:
    """The caller pressed an exit key the queue offers them now (see `ivr.queue.announce`)."""

    option: ExitOption


@dataclass(frozen=True, slots=True)
class CallbackBooked:
    pass


@dataclass(frozen=True, slots=True)
class CallbackRefused:
    pass


Event: TypeAlias = (
    AgentOffered
    | AgentAnswered
    | AgentDialFailed
    | AgentHungUp
    | BridgeJoined
    | BridgeFailed
    | ClientAnswered
    | ClientDialFailed
    | ClientHungUp
    | CallerLeft
    | MaxWaitReached
    | OfferReaped
    | ExitChosen
    | CallbackBooked
    | CallbackRefused
)
EVENT_TYPES: tuple[type[Event], ...] = (
    AgentOffered,
    AgentAnswered,
    AgentDialFailed,
    AgentHungUp,
    BridgeJoined,
    BridgeFailed,
    ClientAnswered,
    ClientDialFailed,
    ClientHungUp,
    CallerLeft,
    MaxWaitReached,
    OfferReaped,
    ExitChosen,
    CallbackBooked,
    CallbackRefused,
)

# ---- actions (requests, imperative) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArmMaxWait:
    after_s: float


@dataclass(frozen=True, slots=True)
class DisarmMaxWait:
    pass


@dataclass(frozen=True, slots=True)
class StartMoh:
    channel: str


@dataclass(frozen=True, slots=True)
class StopMoh:
    channel: str


@dataclass(frozen=True, slots=True)
class StartAnnouncements:
    """Announce position, wait and exits now and periodically (when prompts are wired)."""


@dataclass(frozen=True, slots=True)
class StopAnnouncements:
    """No more announcements; `cut_prompt`: also stop one that is playing."""

    cut_prompt: bool


@dataclass(frozen=True, slots=True)
class DialAgent:
    """Originate the agent's leg into our app; answered with `AgentDialFailed` if refused."""

    leg: AgentLeg
    endpoint: str
    ring_s: int
    caller_id: str


@dataclass(frozen=True, slots=True)
class JoinBridge:
    """Create mixing bridge `bridge` if `create`, add `channels` in order; answered with
    `BridgeJoined(leg)` or `BridgeFailed(leg)`."""

    leg: str
    bridge: str
    channels: tuple[str, ...]
    create: bool


@dataclass(frozen=True, slots=True)
class DestroyBridge:
    bridge: str


@dataclass(frozen=True, slots=True)
class HangUp:
    channel: str


@dataclass(frozen=True, slots=True)
class StoreAnswer:
    agent_id: AgentId


@dataclass(frozen=True, slots=True)
class StoreNoAnswer:
    """Back to the head of its class with its original wait (the store keeps it)."""

    agent_id: AgentId
    reason: str


@dataclass(frozen=True, slots=True)
class StoreEnd:
    """A connected call ended: the agent goes to wrap-up."""


@dataclass(frozen=True, slots=True)
class StoreRemove:
    result: QueueResult


@dataclass(frozen=True, slots=True)
class BookCallback:
    """Keep the place in line under a callback request to `number`; answered with
    `CallbackBooked` or `CallbackRefused`."""

    number: str


@dataclass(frozen=True, slots=True)
class ConfirmCallback:
    """Tell the caller the callback is booked (when prompts are wired) and wait for the end."""

    channel: str


@dataclass(frozen=True, slots=True)
class DialClient:
    """Call the requester back on leg `leg` (the shell's dial-string template); answered with
    `ClientDialFailed` if refused."""

    leg: str
    number: str


@dataclass(frozen=True, slots=True)
class Deliver:
    """Tell the call's session how the queue ended for it."""

    outcome: ev.QueueOutcome


@dataclass(frozen=True, slots=True)
class WakeRouter:
    """Route now: an agent may be free for this call (or for the next one)."""


Action: TypeAlias = (
    ArmMaxWait
    | DisarmMaxWait
    | StartMoh
    | StopMoh
    | StartAnnouncements
    | StopAnnouncements
    | DialAgent
    | JoinBridge
    | DestroyBridge
    | HangUp
    | StoreAnswer
    | StoreNoAnswer
    | StoreEnd
    | StoreRemove
    | BookCallback
    | ConfirmCallback
    | DialClient
    | Deliver
    | WakeRouter
)
ANSWERED_ACTIONS = (DialAgent, JoinBridge, BookCallback, DialClient)
