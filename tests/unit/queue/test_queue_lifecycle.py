"""The pure waiting-call lifecycle: every phase x every event, exact (phase, actions) out; then
whole journeys (answered, requeued, reaped, abandoned, callback, voice message, max wait)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from ivr.engine.events import QueueOutcome
from ivr.queue.lifecycle import TABLE, start, step, takes_keys, wants_agent
from ivr.queue.waiting import (
    ANSWERED_ACTIONS,
    EVENT_TYPES,
    Action,
    AgentAnswered,
    AgentDialFailed,
    AgentHungUp,
    AgentLeg,
    AgentOffered,
    ArmMaxWait,
    BookCallback,
    BridgeFailed,
    BridgeJoined,
    CallbackBooked,
    CallbackRefused,
    CallerLeft,
    ClientAnswered,
    ClientDialFailed,
    ClientHungUp,
    ConfirmCallback,
    Deliver,
    DestroyBridge,
    DialAgent,
    DialClient,
    DisarmMaxWait,
    Event,
    ExitChosen,
    HangUp,
    JoinBridge,
    MaxWaitReached,
    OfferReaped,
    Phase,
    StartAnnouncements,
    StartMoh,
    StopAnnouncements,
    StopMoh,
    StoreAnswer,
    StoreEnd,
    StoreNoAnswer,
    StoreRemove,
    Waiting,
    WakeRouter,
)
from queueing.config import ExitOption
from queueing.model import QueueResult
from queueing.policy import AgentId

KEY = CH = "c1"  # the call key is the caller's channel id
QUEUE = "general"
CALLER = "13900000000"
A = AgentLeg("agent-c1-1", AgentId("a1"))
A2 = AgentLeg("agent-c1-2", AgentId("a2"))
BR = "br-c1"
CLIENT = "callback-c1"

P = Phase
W = Waiting(KEY, CH, QUEUE, CALLER)
STATES: dict[Phase, Waiting] = {
    P.WAITING: W,
    P.BOOKING_CALLBACK: replace(W, phase=P.BOOKING_CALLBACK),
    P.RINGING_AGENT: replace(W, phase=P.RINGING_AGENT, agent=A),
    P.BRIDGING: replace(W, phase=P.BRIDGING, agent=A, bridge=BR),
    P.BRIDGED: replace(W, phase=P.BRIDGED, agent=A, bridge=BR),
    P.CALLBACK_WAITING: replace(W, phase=P.CALLBACK_WAITING),
    P.CALLBACK_RINGING_AGENT: replace(W, phase=P.CALLBACK_RINGING_AGENT, agent=A),
    P.CALLBACK_BRIDGING: replace(W, phase=P.CALLBACK_BRIDGING, agent=A, bridge=BR),
    P.CALLING_BACK: replace(W, phase=P.CALLING_BACK, agent=A, bridge=BR, client=CLIENT),
    P.CALLBACK_BRIDGED: replace(W, phase=P.CALLBACK_BRIDGED, agent=A, bridge=BR, client=CLIENT),
    P.ENDED: replace(W, phase=P.ENDED),
}

OFFERED = AgentOffered(A2, "PJSIP/8002", 15)
ANSWERED = AgentAnswered(A.channel_id)
NOANSWER = AgentDialFailed(A.channel_id, "noanswer")
AGENT_GONE = AgentHungUp(A.channel_id)
JOINED = BridgeJoined(A.channel_id)
JOIN_FAILED = BridgeFailed(A.channel_id)
CLIENT_JOINED = BridgeJoined(CLIENT)
CLIENT_JOIN_FAILED = BridgeFailed(CLIENT)
CLIENT_ANSWERED = ClientAnswered(CLIENT)
CLIENT_NOANSWER = ClientDialFailed(CLIENT, "noanswer")
CLIENT_GONE = ClientHungUp(CLIENT)
LEFT = CallerLeft("hangup")
MAX_WAIT = MaxWaitReached()
REAPED = OfferReaped()
STAR = ExitChosen(ExitOption.CALLBACK)
HASH = ExitChosen(ExitOption.VOICE_MESSAGE)
BOOKED = CallbackBooked()
REFUSED = CallbackRefused()

DIAL_A2 = DialAgent(A2, "PJSIP/8002", 15, CALLER)
ON_HOLD_AGAIN: list[Action] = [StartMoh(CH), StartAnnouncements()]
CONFIRM_AND_HANG_UP: list[Action] = [DisarmMaxWait(), ConfirmCallback(CH), HangUp(CH), WakeRouter()]
TIMEOUT = Deliver(QueueOutcome("timeout", QUEUE))
OVERFLOW = Deliver(QueueOutcome("overflow", QUEUE))
ANSWERED_BY_A1 = Deliver(QueueOutcome("answered", QUEUE, "a1"))
ABANDONED: list[Action] = [
    DisarmMaxWait(),
    StopAnnouncements(cut_prompt=False),
    StoreRemove(QueueResult.ABANDONED),
]

# (phase, event) -> (phase after, actions): the pairs that do something
HANDLED: dict[tuple[Phase, Event], tuple[Phase, list[Action]]] = {
    # ---- waiting
    (P.WAITING, OFFERED): (P.RINGING_AGENT, [DIAL_A2]),
    (P.WAITING, LEFT): (P.ENDED, ABANDONED),
    (P.WAITING, MAX_WAIT): (
        P.ENDED,
        [StopAnnouncements(cut_prompt=False), StoreRemove(QueueResult.TIMED_OUT), TIMEOUT],
    ),
    (P.WAITING, STAR): (P.BOOKING_CALLBACK, [StopAnnouncements(True), BookCallback(CALLER)]),
    (P.WAITING, HASH): (
        P.ENDED,
        [
            StopAnnouncements(cut_prompt=True),
            DisarmMaxWait(),
            StoreRemove(QueueResult.VOICE_MESSAGE),
            StopMoh(CH),
            OVERFLOW,
        ],
    ),
    (P.WAITING, BOOKED): (P.CALLBACK_WAITING, CONFIRM_AND_HANG_UP),
    (P.WAITING, REFUSED): (P.WAITING, ON_HOLD_AGAIN),
    # ---- booking_callback
    (P.BOOKING_CALLBACK, OFFERED): (P.RINGING_AGENT, [DIAL_A2]),
    (P.BOOKING_CALLBACK, LEFT): (P.ENDED, ABANDONED),
    (P.BOOKING_CALLBACK, BOOKED): (P.CALLBACK_WAITING, CONFIRM_AND_HANG_UP),
    (P.BOOKING_CALLBACK, REFUSED): (P.WAITING, ON_HOLD_AGAIN),
    # ---- ringing_agent
    (P.RINGING_AGENT, OFFERED): (P.RINGING_AGENT, [HangUp(A.channel_id), DIAL_A2]),
    (P.RINGING_AGENT, ANSWERED): (
        P.BRIDGING,
        [
            StopAnnouncements(cut_prompt=True),
            StopMoh(CH),
            JoinBridge(A.channel_id, BR, (CH, A.channel_id), create=True),
        ],
    ),
    (P.RINGING_AGENT, NOANSWER): (P.WAITING, [StoreNoAnswer(A.agent_id, "noanswer"), WakeRouter()]),
    (P.RINGING_AGENT, AGENT_GONE): (
        P.WAITING,
        [StoreNoAnswer(A.agent_id, "leg_ended"), WakeRouter()],
    ),
    (P.RINGING_AGENT, REAPED): (P.WAITING, [HangUp(A.channel_id)]),
    (P.RINGING_AGENT, LEFT): (P.ENDED, [*ABANDONED, HangUp(A.channel_id)]),
    (P.RINGING_AGENT, MAX_WAIT): (
        P.ENDED,
        [
            StopAnnouncements(cut_prompt=False),
            StoreRemove(QueueResult.TIMED_OUT),
            HangUp(A.channel_id),
            TIMEOUT,
        ],
    ),
    (P.RINGING_AGENT, STAR): (P.RINGING_AGENT, []),  # the store books only a waiting call
    (P.RINGING_AGENT, HASH): (
        P.ENDED,
        [
            StopAnnouncements(cut_prompt=True),
            DisarmMaxWait(),
            StoreRemove(QueueResult.VOICE_MESSAGE),
            HangUp(A.channel_id),
            StopMoh(CH),
            OVERFLOW,
        ],
    ),
    (P.RINGING_AGENT, BOOKED): (P.CALLBACK_RINGING_AGENT, CONFIRM_AND_HANG_UP),
    (P.RINGING_AGENT, REFUSED): (P.RINGING_AGENT, ON_HOLD_AGAIN),
    # ---- bridging
    (P.BRIDGING, AGENT_GONE): (
        P.WAITING,
        [DestroyBridge(BR), StoreNoAnswer(A.agent_id, "leg_ended"), *ON_HOLD_AGAIN, WakeRouter()],
    ),
    (P.BRIDGING, JOINED): (P.BRIDGED, [StoreAnswer(A.agent_id), DisarmMaxWait(), ANSWERED_BY_A1]),
    (P.BRIDGING, JOIN_FAILED): (
        P.WAITING,
        [
            DestroyBridge(BR),
            HangUp(A.channel_id),
            StoreNoAnswer(A.agent_id, "bridge_failed"),
            *ON_HOLD_AGAIN,
            WakeRouter(),
        ],
    ),
    (P.BRIDGING, LEFT): (P.ENDED, [*ABANDONED, HangUp(A.channel_id), DestroyBridge(BR)]),
    (P.BRIDGING, MAX_WAIT): (
        P.ENDED,
        [
            StopAnnouncements(cut_prompt=False),
            StoreRemove(QueueResult.TIMED_OUT),
            HangUp(A.channel_id),
            DestroyBridge(BR),
            TIMEOUT,
        ],
    ),
    # ---- bridged
    (P.BRIDGED, AGENT_GONE): (P.ENDED, [StoreEnd(), HangUp(CH), DestroyBridge(BR)]),
    (P.BRIDGED, LEFT): (P.ENDED, [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)]),
    # ---- callback_waiting
    (P.CALLBACK_WAITING, OFFERED): (P.CALLBACK_RINGING_AGENT, [DIAL_A2]),
    # ---- callback_ringing_agent
    (P.CALLBACK_RINGING_AGENT, OFFERED): (
        P.CALLBACK_RINGING_AGENT,
        [HangUp(A.channel_id), DIAL_A2],
    ),
    (P.CALLBACK_RINGING_AGENT, ANSWERED): (
        P.CALLBACK_BRIDGING,
        [JoinBridge(A.channel_id, BR, (A.channel_id,), create=True)],
    ),
    (P.CALLBACK_RINGING_AGENT, NOANSWER): (
        P.CALLBACK_WAITING,
        [StoreNoAnswer(A.agent_id, "noanswer"), WakeRouter()],
    ),
    (P.CALLBACK_RINGING_AGENT, AGENT_GONE): (
        P.CALLBACK_WAITING,
        [StoreNoAnswer(A.agent_id, "leg_ended"), WakeRouter()],
    ),
    (P.CALLBACK_RINGING_AGENT, REAPED): (P.CALLBACK_WAITING, [HangUp(A.channel_id)]),
    # ---- callback_bridging
    (P.CALLBACK_BRIDGING, AGENT_GONE): (
        P.CALLBACK_WAITING,
        [DestroyBridge(BR), StoreNoAnswer(A.agent_id, "leg_ended"), WakeRouter()],
    ),
    (P.CALLBACK_BRIDGING, JOINED): (
        P.CALLING_BACK,
        [StoreAnswer(A.agent_id), DialClient(CLIENT, CALLER)],
    ),
    (P.CALLBACK_BRIDGING, JOIN_FAILED): (
        P.CALLBACK_WAITING,
        [
            DestroyBridge(BR),
            HangUp(A.channel_id),
            StoreNoAnswer(A.agent_id, "bridge_failed"),
            WakeRouter(),
        ],
    ),
    # ---- calling_back
    (P.CALLING_BACK, AGENT_GONE): (P.ENDED, [StoreEnd(), HangUp(CLIENT), DestroyBridge(BR)]),
    (P.CALLING_BACK, CLIENT_ANSWERED): (
        P.CALLBACK_BRIDGED,
        [JoinBridge(CLIENT, BR, (CLIENT,), create=False)],
    ),
    (P.CALLING_BACK, CLIENT_NOANSWER): (
        P.ENDED,
        [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)],
    ),
    (P.CALLING_BACK, CLIENT_GONE): (P.ENDED, [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)]),
    # ---- callback_bridged
    (P.CALLBACK_BRIDGED, AGENT_GONE): (P.ENDED, [StoreEnd(), HangUp(CLIENT), DestroyBridge(BR)]),
    (P.CALLBACK_BRIDGED, CLIENT_JOIN_FAILED): (
        P.ENDED,
        [StoreEnd(), HangUp(A.channel_id), HangUp(CLIENT), DestroyBridge(BR)],
    ),
    (P.CALLBACK_BRIDGED, CLIENT_GONE): (
        P.ENDED,
        [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)],
    ),
}

AGENT_LEG: list[Event] = [ANSWERED, NOANSWER, AGENT_GONE]
CLIENT_LEG: list[Event] = [CLIENT_ANSWERED, CLIENT_NOANSWER, CLIENT_GONE]
BRIDGE: list[Event] = [JOINED, JOIN_FAILED]
BOOKING: list[Event] = [BOOKED, REFUSED]
CALLER_SIDE: list[Event] = [LEFT, MAX_WAIT, STAR]

# the pairs that change nothing (same state, no actions), written out per phase
IGNORED: dict[Phase, list[Event]] = {
    P.WAITING: [*AGENT_LEG, *BRIDGE, *CLIENT_LEG, REAPED],
    P.BOOKING_CALLBACK: [*AGENT_LEG, *BRIDGE, *CLIENT_LEG, REAPED, MAX_WAIT, STAR, HASH],
    P.RINGING_AGENT: [*BRIDGE, *CLIENT_LEG],
    P.BRIDGING: [OFFERED, REAPED, ANSWERED, NOANSWER, *CLIENT_LEG, STAR, HASH, *BOOKING],
    P.BRIDGED: [
        OFFERED,
        REAPED,
        ANSWERED,
        NOANSWER,
        *BRIDGE,
        *CLIENT_LEG,
        MAX_WAIT,
        STAR,
        *BOOKING,
    ],
    P.CALLBACK_WAITING: [REAPED, *AGENT_LEG, *BRIDGE, *CLIENT_LEG, *CALLER_SIDE, *BOOKING],
    P.CALLBACK_RINGING_AGENT: [*BRIDGE, *CLIENT_LEG, *CALLER_SIDE, *BOOKING],
    P.CALLBACK_BRIDGING: [OFFERED, REAPED, ANSWERED, NOANSWER, *CLIENT_LEG, *CALLER_SIDE, *BOOKING],
    P.CALLING_BACK: [OFFERED, REAPED, ANSWERED, NOANSWER, *BRIDGE, *CALLER_SIDE, *BOOKING],
    P.CALLBACK_BRIDGED: [
        OFFERED,
        REAPED,
        ANSWERED,
        NOANSWER,
        CLIENT_JOINED,
        CLIENT_ANSWERED,
        CLIENT_NOANSWER,
        *CALLER_SIDE,
        *BOOKING,
    ],
    P.ENDED: [
        OFFERED,
        REAPED,
        *AGENT_LEG,
        *BRIDGE,
        *CLIENT_LEG,
        *CALLER_SIDE,
        HASH,
        *BOOKING,
    ],
}

ROWS = [(phase, event, *outcome) for (phase, event), outcome in HANDLED.items()] + [
    (phase, event, phase, []) for phase, events in IGNORED.items() for event in events
]


def row_id(row: tuple[Phase, Event, Phase, list[Action]]) -> str:
    phase, event, after, _ = row
    return f"{phase}-{event}->{after}"


def test_the_table_defines_every_phase_and_event_type() -> None:
    assert set(TABLE) == set(Phase)
    for phase, handlers in TABLE.items():
        assert set(handlers) == set(EVENT_TYPES), phase


def test_the_expected_rows_cover_every_phase_and_event_type() -> None:
    covered = {(phase, type(event)) for phase, event, _, _ in ROWS}
    assert covered == set(itertools.product(Phase, EVENT_TYPES))
    handled_pairs = set(HANDLED)
    ignored_pairs = {(phase, event) for phase, events in IGNORED.items() for event in events}
    assert not handled_pairs & ignored_pairs


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_every_phase_and_event(row: tuple[Phase, Event, Phase, list[Action]]) -> None:
    phase, event, expected_phase, expected_actions = row
    before = STATES[phase]
    after, actions = step(before, event)
    assert (after.phase, actions) == (expected_phase, expected_actions)
    if not expected_actions and expected_phase is phase:
        assert after is before  # ignored: nothing changes
    if after.phase is P.ENDED:
        assert (after.agent, after.bridge, after.client) == (None, None, None)


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_an_action_answered_by_an_event_comes_last(
    row: tuple[Phase, Event, Phase, list[Action]],
) -> None:
    _, _, _, actions = row
    answered = [i for i, action in enumerate(actions) if isinstance(action, ANSWERED_ACTIONS)]
    assert answered in ([], [len(actions) - 1])


@pytest.mark.parametrize(
    "event",
    [AgentAnswered("agent-old"), AgentDialFailed("agent-old", "busy"), AgentHungUp("agent-old")],
    ids=lambda e: type(e).__name__,
)
def test_events_of_a_leg_the_state_does_not_hold_are_ignored(event: Event) -> None:
    before = STATES[P.RINGING_AGENT]
    assert step(before, event) == (before, [])


def test_the_callers_keys_are_the_queues_until_an_agent_takes_the_call() -> None:
    taking = {phase for phase, state in STATES.items() if takes_keys(state)}
    assert taking == set(Phase) - {P.BRIDGED, P.CALLING_BACK, P.CALLBACK_BRIDGED}


def test_the_router_proposes_agents_only_for_calls_without_an_agent_leg() -> None:
    wanting = {phase for phase, state in STATES.items() if wants_agent(state)}
    assert wanting == {P.WAITING, P.BOOKING_CALLBACK, P.CALLBACK_WAITING}


def test_the_lifecycle_imports_no_io_library() -> None:
    forbidden = ("asyncio", "aiohttp", "redis", "sqlalchemy", "vosk")
    code = (
        "import json, sys\n"
        "import ivr.queue.lifecycle, ivr.queue.waiting, ivr.queue.announce\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# ---- journeys ---------------------------------------------------------------------------------


def run(waiting: Waiting, *events: Event) -> tuple[Waiting, list[list[Action]]]:
    """Step through `events`; the final state and each step's actions."""
    steps = []
    for event in events:
        waiting, actions = step(waiting, event)
        steps.append(actions)
    return waiting, steps


def test_start_holds_the_caller_and_arms_the_deadline() -> None:
    assert start(W, 300.0) == (
        W,
        [ArmMaxWait(300.0), StartMoh(CH), StartAnnouncements(), WakeRouter()],
    )


def test_offered_answered_bridged_then_the_agent_hangs_up() -> None:
    offered = AgentOffered(A, "PJSIP/8001", 15)
    state, steps = run(W, offered, ANSWERED, JOINED, AGENT_GONE)
    assert steps == [
        [DialAgent(A, "PJSIP/8001", 15, CALLER)],
        [
            StopAnnouncements(cut_prompt=True),
            StopMoh(CH),
            JoinBridge(A.channel_id, BR, (CH, A.channel_id), create=True),
        ],
        [StoreAnswer(A.agent_id), DisarmMaxWait(), ANSWERED_BY_A1],
        [StoreEnd(), HangUp(CH), DestroyBridge(BR)],
    ]
    assert state == replace(W, phase=P.ENDED)


def test_a_failed_dial_requeues_at_the_head_and_the_next_offer_rings() -> None:
    busy = AgentDialFailed(A.channel_id, "busy")
    state, steps = run(W, AgentOffered(A, "PJSIP/8001", 15), busy, OFFERED)
    assert steps[1] == [StoreNoAnswer(A.agent_id, "busy"), WakeRouter()]
    assert steps[2] == [DIAL_A2]
    assert (state.phase, state.agent) == (P.RINGING_AGENT, A2)


def test_an_offer_past_its_ring_time_is_reaped() -> None:
    state, steps = run(W, AgentOffered(A, "PJSIP/8001", 15), REAPED)
    assert steps[1] == [HangUp(A.channel_id)]
    assert state == W


@pytest.mark.parametrize("phase", list(Phase), ids=str)
def test_the_caller_hangs_up_in_each_phase(phase: Phase) -> None:
    state, actions = step(STATES[phase], LEFT)
    if phase in {P.WAITING, P.BOOKING_CALLBACK, P.RINGING_AGENT, P.BRIDGING}:
        assert state.phase is P.ENDED
        assert actions[:3] == ABANDONED  # counted as abandoned, any agent leg hung up
    elif phase is P.BRIDGED:
        assert (state.phase, actions[0]) == (P.ENDED, StoreEnd())
    else:  # a callback request keeps its place; an ended call stays ended
        assert (state, actions) == (STATES[phase], [])


def test_star_books_a_callback_then_the_agent_and_the_client_who_does_not_answer() -> None:
    offered = AgentOffered(A, "PJSIP/8001", 15)
    state, steps = run(
        W, STAR, BOOKED, LEFT, offered, ANSWERED, JOINED, CLIENT_NOANSWER, AGENT_GONE
    )
    assert steps == [
        [StopAnnouncements(cut_prompt=True), BookCallback(CALLER)],
        [DisarmMaxWait(), ConfirmCallback(CH), HangUp(CH), WakeRouter()],
        [],  # the caller's session ends: the place in line is kept
        [DialAgent(A, "PJSIP/8001", 15, CALLER)],
        [JoinBridge(A.channel_id, BR, (A.channel_id,), create=True)],
        [StoreAnswer(A.agent_id), DialClient(CLIENT, CALLER)],
        [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)],  # ended like a hang-up
        [],
    ]
    assert state.phase is P.ENDED


def test_a_called_back_client_talks_to_the_agent_until_one_hangs_up() -> None:
    booked = replace(W, phase=P.CALLBACK_WAITING)
    offered = AgentOffered(A, "PJSIP/8001", 15)
    state, steps = run(
        booked, offered, ANSWERED, JOINED, CLIENT_ANSWERED, CLIENT_JOINED, CLIENT_GONE
    )
    assert steps[3:] == [
        [JoinBridge(CLIENT, BR, (CLIENT,), create=False)],
        [],
        [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)],
    ]
    assert state.phase is P.ENDED


def test_a_booking_that_lands_while_an_offer_rings_turns_the_ring_into_a_callback() -> None:
    state, steps = run(W, STAR, OFFERED, BOOKED)
    assert steps[1:] == [[DIAL_A2], CONFIRM_AND_HANG_UP]
    assert (state.phase, state.agent) == (P.CALLBACK_RINGING_AGENT, A2)


def test_a_refused_booking_puts_the_caller_back_on_hold() -> None:
    state, steps = run(W, STAR, REFUSED, HASH)
    assert steps[1] == ON_HOLD_AGAIN
    assert steps[2][-1] == OVERFLOW  # another exit may be taken then
    assert state.phase is P.ENDED


def test_hash_leaves_for_a_voice_message() -> None:
    state, actions = step(W, HASH)
    assert actions[-1] == OVERFLOW
    assert StoreRemove(QueueResult.VOICE_MESSAGE) in actions
    assert state.phase is P.ENDED


def test_max_wait_times_out_a_ringing_call_and_is_ignored_once_bridged() -> None:
    ringing, _ = step(W, AgentOffered(A, "PJSIP/8001", 15))
    state, actions = step(ringing, MAX_WAIT)
    assert (state.phase, actions[-1]) == (P.ENDED, TIMEOUT)
    bridged, _ = run(ringing, ANSWERED, JOINED)
    assert step(bridged, MAX_WAIT) == (bridged, [])


def test_an_agent_hanging_up_on_a_survey_queue_keeps_the_caller_for_the_survey() -> None:
    bridged = replace(STATES[P.BRIDGED], survey=True)
    after, actions = step(bridged, AGENT_GONE)
    assert after.phase is P.ENDED
    assert actions == [
        StoreEnd(),
        DestroyBridge(BR),
        Deliver(QueueOutcome("agent_left", QUEUE, "a1")),
    ]  # the caller's channel is not hung up
    after, actions = step(bridged, LEFT)  # the caller hangs up first: no survey
    assert (after.phase, actions) == (
        P.ENDED,
        [StoreEnd(), HangUp(A.channel_id), DestroyBridge(BR)],
    )
