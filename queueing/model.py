"""Queue and agent records as the store returns them (pure data, no I/O).

Rules: frozen dataclasses, typed ids, times in epoch seconds named `*_s`. An agent's state is
one of `AgentState`; `reason` qualifies `not_ready` (break, training, meeting, after-call work,
no_answer). Wait times always count from a call's first enqueue.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from queueing.definitions import ExitOption, PriorityClass
from queueing.policy import AgentId, CallKey


class AgentState(enum.StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    NOT_READY = "not_ready"
    RESERVED = "reserved"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class QueueCallState(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"


class QueueResult(enum.StrEnum):
    """How a call left a queue without being answered (counted per queue per day)."""

    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    CALLBACK = "callback"
    VOICE_MESSAGE = "voice_message"
    LOST = "lost"  # its app instance died and the caller was gone (`ivr.queue.recovery`)


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """What an admin sets: id, display name, phone endpoint (`PJSIP/8001`), skill levels."""

    agent_id: AgentId
    name: str
    endpoint: str
    skills: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as stored: profile plus live state and counters."""

    profile: AgentProfile
    state: AgentState
    reason: str
    state_since_s: float
    calls_handled: int
    last_call_end_s: float
    last_offer_s: float
    call_id: CallKey | None
    unanswered: int

    @property
    def agent_id(self) -> AgentId:
        return self.profile.agent_id


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call known to the queues (waiting, offered to an agent, or connected).

    `callback_number` is set when the caller left a callback request keeping the place in
    line: once offered, the app rings the agent, then calls that number.
    """

    call_id: CallKey
    queue: str
    priority: PriorityClass
    state: QueueCallState
    enqueued_at_s: float
    order_at_s: float
    agent_id: AgentId | None
    info: Mapping[str, str]
    callback_number: str | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """A won reservation: ring `endpoint` for `call_id` until `deadline_s`."""

    call_id: CallKey
    agent_id: AgentId
    endpoint: str
    queue: str
    deadline_s: float


@dataclass(frozen=True, slots=True)
class ReapResult:
    """What one reaper pass did: offers released (calls requeued), agents out of wrap-up."""

    released: tuple[CallKey, ...]
    readied: tuple[AgentId, ...]


@dataclass(frozen=True, slots=True)
class CallerView:
    """What a waiting caller may be told: 1-based position, wait so far, estimate, exits."""

    position: int
    waited_s: float
    estimated_wait_s: float | None
    exit_options: tuple[ExitOption, ...]


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One queue, today (the store's day zone): live figures and the day's counters.

    `service_level_pct`: answered within the queue's target / answered (None before the first
    answer). `abandon_rate_pct`: abandoned / (answered + abandoned) (None before either).
    """

    queue: str
    waiting: int
    longest_wait_s: float
    agents_by_state: Mapping[AgentState, int]
    entered: int
    answered: int
    abandoned: int
    timed_out: int
    service_level_pct: float | None
    abandon_rate_pct: float | None


@dataclass(frozen=True, slots=True)
class QueueEvent:
    """One entry of the event stream: its id, type and string fields."""

    event_id: str
    type: str
    fields: Mapping[str, str]
