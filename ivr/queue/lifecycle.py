"""The waiting-call lifecycle, pure: `step(waiting, event) -> (waiting, actions)`.

    waiting, actions = start(Waiting("c1", "c1", "general", caller="139..."), max_wait_s=300)
    waiting, actions = step(waiting, AgentOffered(AgentLeg("agent-c1-1", "a1"), "PJSIP/8001", 15))

The state, events, actions and phases are declared in `ivr.queue.waiting`; the shell that feeds
events and executes actions is `ivr.queue.runtime`. Copy of the flow engine's shape
(`ivr.engine.interpreter`): frozen state in, frozen state and a list of requests out.

Rules:
- No I/O, no clock, no asyncio: the same state and event give the same result.
- `TABLE[phase][event type]` names a handler for every pair; the pairs that do not apply map to
  `ignore` (same state, no actions), written out per phase.
- An event about a leg the state does not hold (stale, or the other party's) is ignored.
- An action that the shell answers with an event (`DialAgent` and `DialClient` when ARI refuses
  to originate, `JoinBridge`, `BookCallback`) is the last of its list: the shell runs the actions
  before it, then steps the answer.
- A call `ended` holds no leg and no bridge: whatever it held was hung up or destroyed by the
  actions of that step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TypeAlias

from ivr.engine import events as ev
from ivr.engine.phones import dialable
from ivr.queue.waiting import (
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

Result: TypeAlias = tuple[Waiting, list[Action]]
Handler: TypeAlias = Callable[[Waiting, Event], Result]

# ARI dial statuses after which a ringing leg will not answer
FAILED_DIAL = frozenset({"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL", "CANCEL"})


# ---- entry points -----------------------------------------------------------------------------


def start(waiting: Waiting, max_wait_s: float) -> Result:
    """The call is in the queue store: hold music, announcements, a deadline, route now."""
    return waiting, [
        ArmMaxWait(max_wait_s),
        StartMoh(waiting.channel_id),
        StartAnnouncements(),
        WakeRouter(),
    ]


def step(waiting: Waiting, event: Event) -> Result:
    """Apply one event to a waiting call (see the module docstring for the rules)."""
    if not _concerns(waiting, event):
        return waiting, []
    return TABLE[waiting.phase][type(event)](waiting, event)


def takes_keys(waiting: Waiting) -> bool:
    """The caller's DTMF is the queue's (exit keys) until an agent takes the call."""
    return not waiting.connected


def wants_agent(waiting: Waiting) -> bool:
    """The router may propose an agent for the call: no agent leg yet (waiting, booking a
    callback, or a callback waiting its turn)."""
    return waiting.agent is None and waiting.phase is not Phase.ENDED


def _concerns(w: Waiting, event: Event) -> bool:
    """False for an event about a leg this state does not hold."""
    agent = w.agent.channel_id if w.agent is not None else None
    match event:
        case AgentAnswered(leg) | AgentDialFailed(leg) | AgentHungUp(leg):
            return leg == agent
        case ClientAnswered(leg) | ClientDialFailed(leg) | ClientHungUp(leg):
            return leg == w.client
        case BridgeJoined(leg) | BridgeFailed(leg):
            return leg == (w.client if w.phase is Phase.CALLBACK_BRIDGED else agent)
    return True


# ---- helpers ----------------------------------------------------------------------------------


def _agent(w: Waiting) -> AgentLeg:
    assert w.agent is not None  # a phase with an agent leg
    return w.agent


def _in_line(w: Waiting) -> Phase:
    return Phase.CALLBACK_WAITING if w.callback else Phase.WAITING


def _ended(w: Waiting) -> Waiting:
    return replace(w, phase=Phase.ENDED, agent=None, bridge=None, client=None)


def _drop_agent(w: Waiting) -> list[Action]:
    """Hang up our agent leg and destroy our bridge, if any."""
    actions: list[Action] = []
    if w.agent is not None:
        actions.append(HangUp(w.agent.channel_id))
    if w.bridge is not None:
        actions.append(DestroyBridge(w.bridge))
    return actions


def _outcome(w: Waiting, outcome: ev.FlowQueueResult, agent_id: str | None = None) -> Deliver:
    return Deliver(ev.QueueOutcome(outcome, w.queue, agent_id))


# ---- handlers ---------------------------------------------------------------------------------


def ignore(w: Waiting, _event: Event) -> Result:
    """The pair does not apply: nothing changes."""
    return w, []


def ring_agent(w: Waiting, event: Event) -> Result:
    """An agent is reserved for the call: dial them (a pending booking answers later)."""
    assert isinstance(event, AgentOffered)
    phase = Phase.CALLBACK_RINGING_AGENT if w.callback else Phase.RINGING_AGENT
    dial = DialAgent(event.leg, event.endpoint, event.ring_s, w.caller)
    return replace(w, phase=phase, agent=event.leg), [dial]


def ring_other_agent(w: Waiting, event: Event) -> Result:
    """A new offer while a leg rings: the store released the old one (another process's
    reaper); that leg is hung up and the new agent dialled."""
    assert isinstance(event, AgentOffered)
    old = _agent(w)
    dial = DialAgent(event.leg, event.endpoint, event.ring_s, w.caller)
    return replace(w, agent=event.leg), [HangUp(old.channel_id), dial]


def bridge_caller(w: Waiting, _event: Event) -> Result:
    """The agent answered: announcements and music off, caller and agent in one bridge."""
    leg = _agent(w).channel_id
    quiet: list[Action] = [StopAnnouncements(cut_prompt=True), StopMoh(w.channel_id)]
    bridge = f"br-{w.key}"
    join = JoinBridge(leg, bridge, (w.channel_id, leg), create=True)
    return replace(w, phase=Phase.BRIDGING, bridge=bridge), [*quiet, join]


def bridge_callback_agent(w: Waiting, _event: Event) -> Result:
    """The agent took a callback request: the agent waits in a new bridge for the client."""
    leg = _agent(w).channel_id
    bridge = f"br-{w.key}"
    join = JoinBridge(leg, bridge, (leg,), create=True)
    return replace(w, phase=Phase.CALLBACK_BRIDGING, bridge=bridge), [join]


def requeue(w: Waiting, event: Event) -> Result:
    """The ringing agent will not answer: back to the head of the line, route again."""
    reason = event.reason if isinstance(event, AgentDialFailed) else "leg_ended"
    agent = _agent(w)
    actions: list[Action] = [StoreNoAnswer(agent.agent_id, reason), WakeRouter()]
    return replace(w, phase=_in_line(w), agent=None), actions


def reaped(w: Waiting, _event: Event) -> Result:
    """The ring time is over (the store already released the offer): hang up the leg."""
    agent = _agent(w)
    return replace(w, phase=_in_line(w), agent=None), [HangUp(agent.channel_id)]


def unbridge(w: Waiting, event: Event) -> Result:
    """The bridge could not be made, or the agent hung up before it was: the agent did not
    take the call. Back to the head of the line; a caller on the line hears hold music and
    announcements again."""
    agent = _agent(w)
    failed = isinstance(event, BridgeFailed)
    actions: list[Action] = [DestroyBridge(w.bridge)] if w.bridge is not None else []
    if failed:
        actions.append(HangUp(agent.channel_id))
    actions.append(StoreNoAnswer(agent.agent_id, "bridge_failed" if failed else "leg_ended"))
    if not w.callback:
        actions += [StartMoh(w.channel_id), StartAnnouncements()]
    actions.append(WakeRouter())
    return replace(w, phase=_in_line(w), agent=None, bridge=None), actions


def connect(w: Waiting, _event: Event) -> Result:
    """Caller and agent are in one bridge: answered."""
    agent = _agent(w)
    actions: list[Action] = [
        StoreAnswer(agent.agent_id),
        DisarmMaxWait(),
        _outcome(w, "answered", str(agent.agent_id)),
    ]
    return replace(w, phase=Phase.BRIDGED), actions


def call_client(w: Waiting, _event: Event) -> Result:
    """The agent waits in the bridge: answered; the requester is dialled."""
    client = f"callback-{w.key}"
    actions: list[Action] = [StoreAnswer(_agent(w).agent_id), DialClient(client, w.caller)]
    return replace(w, phase=Phase.CALLING_BACK, client=client), actions


def bridge_client(w: Waiting, event: Event) -> Result:
    """The requester answered: into the agent's bridge."""
    assert isinstance(event, ClientAnswered)
    assert w.bridge is not None
    join = JoinBridge(event.leg, w.bridge, (event.leg,), create=False)
    return replace(w, phase=Phase.CALLBACK_BRIDGED), [join]


def end_connected(w: Waiting, event: Event) -> Result:
    """Someone left (or could not join) a connected call: it ends for everyone. The leg
    that hung up is not hung up again; the caller of a callback hung up long ago."""
    gone = event.leg if isinstance(event, AgentHungUp | ClientHungUp | ClientDialFailed) else None
    legs = [w.agent.channel_id if w.agent is not None else None, w.client]
    if not w.callback:
        legs.append(w.channel_id)
    actions: list[Action] = [StoreEnd()]
    actions += [HangUp(leg) for leg in legs if leg is not None and leg != gone]
    if w.bridge is not None:
        actions.append(DestroyBridge(w.bridge))
    return _ended(w), actions


def agent_left(w: Waiting, event: Event) -> Result:
    """The agent hung up a bridged call. A queue with `survey` keeps the caller: the bridge
    goes, the caller stays in the app and the session runs the survey (`agent_left`);
    otherwise the call ends for everyone."""
    if not w.survey:
        return end_connected(w, event)
    agent = _agent(w)
    actions: list[Action] = [StoreEnd()]
    if w.bridge is not None:
        actions.append(DestroyBridge(w.bridge))
    actions.append(_outcome(w, "agent_left", str(agent.agent_id)))
    return _ended(w), actions


def abandon(w: Waiting, _event: Event) -> Result:
    """The caller left before an agent took the call."""
    actions: list[Action] = [
        DisarmMaxWait(),
        StopAnnouncements(cut_prompt=False),
        StoreRemove(QueueResult.ABANDONED),
        *_drop_agent(w),
    ]
    return _ended(w), actions


def hang_up_on_agent(w: Waiting, _event: Event) -> Result:
    """The caller left a bridged call: the agent's leg is hung up."""
    return _ended(w), [StoreEnd(), *_drop_agent(w)]


def time_out(w: Waiting, _event: Event) -> Result:
    """Max wait reached before an agent took the call: the flow hears `timeout`."""
    actions: list[Action] = [
        StopAnnouncements(cut_prompt=False),
        StoreRemove(QueueResult.TIMED_OUT),
        *_drop_agent(w),
        _outcome(w, "timeout"),
    ]
    return _ended(w), actions


def take_exit(w: Waiting, event: Event) -> Result:
    """`*`: book a callback keeping the place in line (not while an agent rings: the store
    books only a waiting call). `#`: out of the queue, the flow takes a voice message."""
    assert isinstance(event, ExitChosen)
    if event.option is ExitOption.CALLBACK:
        if w.agent is not None or not dialable(w.caller):  # no number to call back: no booking
            return w, []
        actions: list[Action] = [StopAnnouncements(cut_prompt=True), BookCallback(w.caller)]
        return replace(w, phase=Phase.BOOKING_CALLBACK), actions
    actions = [
        StopAnnouncements(cut_prompt=True),
        DisarmMaxWait(),
        StoreRemove(QueueResult.VOICE_MESSAGE),
        *_drop_agent(w),
        StopMoh(w.channel_id),
        _outcome(w, "overflow"),
    ]
    return _ended(w), actions


def callback_booked(w: Waiting, _event: Event) -> Result:
    """The place in line is kept under a callback request: confirm, hang up, route on. (An
    agent offered meanwhile keeps ringing, now for the callback.)"""
    phase = Phase.CALLBACK_RINGING_AGENT if w.agent is not None else Phase.CALLBACK_WAITING
    actions: list[Action] = [
        DisarmMaxWait(),
        ConfirmCallback(w.channel_id),
        HangUp(w.channel_id),
        WakeRouter(),
    ]
    return replace(w, phase=phase), actions


def callback_refused(w: Waiting, _event: Event) -> Result:
    """No booking: the caller waits on, with hold music and announcements again."""
    phase = Phase.WAITING if w.phase is Phase.BOOKING_CALLBACK else w.phase
    return replace(w, phase=phase), [StartMoh(w.channel_id), StartAnnouncements()]


# ---- the table --------------------------------------------------------------------------------

AGENT_LEG = (AgentAnswered, AgentDialFailed, AgentHungUp)
CLIENT_LEG = (ClientAnswered, ClientDialFailed, ClientHungUp)
BRIDGE = (BridgeJoined, BridgeFailed)
BOOKING = (CallbackBooked, CallbackRefused)
OFFER = (AgentOffered, OfferReaped)
CALLER = (CallerLeft, MaxWaitReached, ExitChosen)


def _row(
    handled: Mapping[type[Event], Handler], ignored: tuple[type[Event], ...]
) -> Mapping[type[Event], Handler]:
    """One phase's row: every event type handled or ignored, none both, none missing."""
    row = {**{kind: ignore for kind in ignored}, **handled}
    assert len(row) == len(handled) + len(ignored) == len(EVENT_TYPES), (handled, ignored)
    return row


# fmt: off
TABLE: Mapping[Phase, Mapping[type[Event], Handler]] = {
    Phase.WAITING: _row(
        {AgentOffered: ring_agent, CallerLeft: abandon, MaxWaitReached: time_out,
         ExitChosen: take_exit,
         CallbackBooked: callback_booked,  # booked after an offer that failed meanwhile
         CallbackRefused: callback_refused},
        ignored=(*AGENT_LEG, *BRIDGE, *CLIENT_LEG, OfferReaped),
    ),
    Phase.BOOKING_CALLBACK: _row(
        {AgentOffered: ring_agent,  # reserved before the booking landed: dial anyway
         CallerLeft: abandon, CallbackBooked: callback_booked,
         CallbackRefused: callback_refused},
        # max wait while booking is dropped: an exit was taken (a refused booking then
        # leaves the call without a deadline, as before)
        ignored=(*AGENT_LEG, *BRIDGE, *CLIENT_LEG, OfferReaped, MaxWaitReached, ExitChosen),
    ),
    Phase.RINGING_AGENT: _row(
        {AgentOffered: ring_other_agent, AgentAnswered: bridge_caller,
         AgentDialFailed: requeue, AgentHungUp: requeue, OfferReaped: reaped,
         CallerLeft: abandon, MaxWaitReached: time_out, ExitChosen: take_exit,
         CallbackBooked: callback_booked, CallbackRefused: callback_refused},
        ignored=(*BRIDGE, *CLIENT_LEG),
    ),
    Phase.BRIDGING: _row(
        {AgentHungUp: unbridge, BridgeJoined: connect, BridgeFailed: unbridge,
         CallerLeft: abandon, MaxWaitReached: time_out},
        ignored=(*OFFER, AgentAnswered, AgentDialFailed, *CLIENT_LEG, ExitChosen, *BOOKING),
    ),
    Phase.BRIDGED: _row(
        {AgentHungUp: agent_left, CallerLeft: hang_up_on_agent},
        ignored=(*OFFER, AgentAnswered, AgentDialFailed, *BRIDGE, *CLIENT_LEG,
                 MaxWaitReached, ExitChosen, *BOOKING),
    ),
    Phase.CALLBACK_WAITING: _row(
        {AgentOffered: ring_agent},
        ignored=(OfferReaped, *AGENT_LEG, *BRIDGE, *CLIENT_LEG, *CALLER, *BOOKING),
    ),
    Phase.CALLBACK_RINGING_AGENT: _row(
        {AgentOffered: ring_other_agent, AgentAnswered: bridge_callback_agent,
         AgentDialFailed: requeue, AgentHungUp: requeue, OfferReaped: reaped},
        ignored=(*BRIDGE, *CLIENT_LEG, *CALLER, *BOOKING),
    ),
    Phase.CALLBACK_BRIDGING: _row(
        {AgentHungUp: unbridge, BridgeJoined: call_client, BridgeFailed: unbridge},
        ignored=(*OFFER, AgentAnswered, AgentDialFailed, *CLIENT_LEG, *CALLER, *BOOKING),
    ),
    Phase.CALLING_BACK: _row(
        {AgentHungUp: end_connected, ClientAnswered: bridge_client,
         ClientDialFailed: end_connected,  # the client did not pick up
         ClientHungUp: end_connected},
        ignored=(*OFFER, AgentAnswered, AgentDialFailed, *BRIDGE, *CALLER, *BOOKING),
    ),
    Phase.CALLBACK_BRIDGED: _row(
        {AgentHungUp: end_connected, BridgeFailed: end_connected, ClientHungUp: end_connected},
        ignored=(*OFFER, AgentAnswered, AgentDialFailed, BridgeJoined, ClientAnswered,
                 ClientDialFailed, *CALLER, *BOOKING),
    ),
    Phase.ENDED: _row({}, ignored=EVENT_TYPES),
}
# fmt: on
