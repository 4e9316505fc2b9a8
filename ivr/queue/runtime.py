"""The ARI side of skill-based queueing: the shell of the waiting-call lifecycle.

`RedisQueueHandoff` implements the session's `QueueHandoff` port on `queueing.RedisQueueStore`.
What happens to a waiting call is decided by the pure `ivr.queue.lifecycle.step`; this module
translates facts into its events and executes its actions:
- In: `enqueue` (the call goes into Redis with its screen pop as `info`, then
  `lifecycle.start`), `cancel` (`CallerLeft`), the router's offers and reaps (`AgentOffered`,
  `OfferReaped`), the max-wait timer (`MaxWaitReached`), ARI events of the legs the state
  holds (`handle`: StasisStart -> answered; Dial NOANSWER, BUSY... -> dial failed; hang-up
  request, StasisEnd, destroyed -> hung up), a waiting caller's exit key (`ExitChosen`, keys
  from `ivr.queue.announcer`), and the answers to its own actions (bridge joined or failed,
  callback booked or refused, origination refused).
- Out, in order: ARI (legs dialled by `ivr.queue.dialer`, bridges, hang-ups, music on hold),
  the store (answer, no_answer, end_call, remove_call, request_callback), announcements, the
  session (`QueuedCall.deliver`, into the call's ordered mailbox), the router's wake-up, and
  each stage of an in-queue callback (`callback_stage`, its follow-up item).

Rules:
- A step is synchronous: the state changes before any of its actions runs.
- Agent and client legs (and a bridge made here) are bound to the call's event lane exactly
  while the state holds them; `owns` claims their events, announcement playbacks, and a
  waiting caller's DTMF.
- Every ARI and store failure is logged and either becomes an event (requeue, clean end) or is
  harmless: no agent is left reserved and no caller left in silence.
- An exit key's actions run in a task of their own: a confirmation waits for its
  `PlaybackFinished`, which arrives in the same lane as the key.
- Events of a call not held here are dropped; `holds(key)`, and `released(key)` when one leaves
  (the router keeps its lane open until then: a callback outlives its requester's session).
- Store down at `enqueue`: `StoreUnavailable` goes to the session (the flow's fallback); an
  emergency caller with `desk_dial` set is held here, off the store, the desk ring group offered
  as its agent; no answer: `MaxWaitReached` at once (the flow's on_timeout).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ivr import ari
from ivr.ari import AriRest
from ivr.clock import Clock
from ivr.queue import ari_actions, lifecycle
from ivr.queue import waiting as w
from ivr.queue.announcer import Announcer, PromptMedia
from ivr.queue.callback_stage import Stage, stage
from ivr.queue.dialer import Dialer, Router
from ivr.queue.handoff import QueuedCall
from ivr.queue.legs import leg_event
from queueing.config import PriorityClass
from queueing.errors import QueueStoreError, StoreUnavailable
from queueing.model import Offer
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

StoreAction = w.StoreAnswer | w.StoreNoAnswer | w.StoreEnd | w.StoreRemove
# the "agent" of the desk ring group's leg (a dial string, not an agent of the store)
DESK_AGENT = AgentId("desk")


@dataclass
class _Held:
    """A call this process holds in a queue: the session's handle and the lifecycle state."""

    call: QueuedCall
    state: w.Waiting
    timer: asyncio.Task[None] | None = None  # max wait


@dataclass(frozen=True, slots=True)
class _Stepped:
    held: _Held
    actions: list[w.Action]
    ended: bool  # this step ended the call: the shell forgets it once the actions ran
    stage: tuple[Stage, str | None] | None = None  # an in-queue callback's stage, its agent


class RedisQueueHandoff:
    """`QueueHandoff` on Redis + ARI. `start()` runs the router; `aclose()` stops it."""

    def __init__(
        self,
        store: RedisQueueStore,
        rest: AriRest,
        clock: Clock,
        *,
        app: str,
        bind: Callable[[str, str], None],
        unbind: Callable[[str], None],
        outbound_dial: str,
        prompts: PromptMedia | None = None,
        released: Callable[[str], None] | None = None,
        desk_dial: str | None = None,
        booked: Callable[[str, str], Awaitable[None]] | None = None,
        callback_stage: Callable[[str, Stage, str | None], Awaitable[None]] | None = None,
    ) -> None:
        self.store, self._rest, self._clock = store, rest, clock
        self._bind, self._unbind = bind, unbind
        self._booked = booked  # told of each callback booked while waiting (its follow-up)
        self._callback_stage = callback_stage  # and of each stage of its call (never raises)
        self._released = released  # told when a call leaves this hand-off (the router's lane)
        self._calls: dict[str, _Held] = {}
        self._legs: dict[str, tuple[str, bool]] = {}  # leg -> (call key, is the client's)
        self._wanting: dict[str, str] = {}  # call key -> queue: the router's view (no agent yet)
        self._ringing: set[str] = set()  # call keys whose agent leg rings (the reaper's view)
        self._tasks: set[asyncio.Task[None]] = set()
        self._desk_dial, self._desk_seq = desk_dial, itertools.count(1)
        self._off_store: dict[str, bool] = {}  # held without the store -> the desk was offered
        self._announcer = Announcer(store, rest, clock, prompts)
        self._dialer = Dialer(rest, clock, app=app, outbound_dial=outbound_dial)
        self._router = Router(
            store,
            clock,
            wanting=self._wanting,
            ringing=self._ringing,
            offered=self._offered,
            reaped=self._reaped,
        )

    @property
    def prompts(self) -> PromptMedia | None:
        return self._announcer.prompts

    @prompts.setter
    def prompts(self, prompts: PromptMedia | None) -> None:
        self._announcer.prompts = prompts  # None: no announcements (music on hold only)

    def start(self) -> None:
        self._router.start()

    async def aclose(self) -> None:
        await self._router.aclose()
        for held in self._calls.values():
            if held.timer is not None:
                held.timer.cancel()
        self._announcer.aclose()
        for task in list(self._tasks):
            task.cancel()

    def owns(self, event: ari.AriEvent) -> bool:
        """Agent and client leg events; announcement playbacks; a waiting caller's DTMF."""
        if any(i in self._legs for i in ari.routing_ids(event)):
            return True
        match event:
            case ari.PlaybackFinished(playback=pb):
                return self._announcer.owns(pb.id)
            case ari.ChannelDtmfReceived(channel=ch):
                held = self._calls.get(ch.id)
                return held is not None and lifecycle.takes_keys(held.state)
        return False

    @property
    def live(self) -> dict[str, int]:
        """What the hand-off still holds (tests assert on it)."""
        callbacks = sum(1 for held in self._calls.values() if held.state.callback)
        return {
            "calls": len(self._calls) - callbacks,
            "callbacks": callbacks,
            "legs": len(self._legs),
            "playbacks": self._announcer.playing,
            "tasks": len(self._tasks),
            "announcers": sum(1 for key in self._calls if self._announcer.announcing(key)),
        }

    @property
    def waiting(self) -> frozenset[str]:
        return frozenset(self._calls)

    def holds(self, key: str) -> bool:
        """Whether call `key` is held here (waiting, ringing, bridged or a callback)."""
        return key in self._calls

    def held(self, key: str) -> tuple[QueuedCall, w.Waiting] | None:
        """The session's handle and lifecycle state of call `key`, if held here."""
        held = self._calls.get(key)
        return None if held is None else (held.call, held.state)

    def detach(self, key: str) -> tuple[QueuedCall, w.Waiting] | None:
        """Let go of a bridged call without acting: call control (`ivr.queue.control`) takes
        its legs and bridge over (their events no longer come here)."""
        held = self._calls.get(key)
        if held is None or held.state.phase is not w.Phase.BRIDGED:
            return None
        del self._calls[key]
        self._route_legs(key, held.state, w.Waiting(key, key, held.state.queue))
        self._ringing.discard(key)
        self._disarm(held)
        self._announcer.close(held.call)
        return held.call, held.state

    # ------------------------------------------------------------------ facts in

    async def enqueue(self, call: QueuedCall) -> None:
        req = call.request
        info = {k: str(v) for k, v in req.attributes.items()}
        info.setdefault("priority", req.priority)
        try:
            since = self._clock.now_s() if call.enqueued_at_s is None else call.enqueued_at_s
            await self.store.enqueue(
                CallKey(call.key), req.queue, PriorityClass(req.priority), since, info
            )
        except StoreUnavailable:
            if self._desk_dial is None or req.priority != "emergency":
                raise
            log.warning("queue store down: the emergency caller rings the desk ring group")
            self._off_store[call.key] = False  # held here only: no router, no announcer, no store
        waiting = self._waiting(call)
        state, actions = lifecycle.start(waiting, req.max_wait_s)
        held = self._calls[call.key] = _Held(call, state)
        if call.key not in self._off_store:
            self._wanting[call.key] = state.queue
            self._announcer.open(call)
        await self._run(_Stepped(held, actions, ended=False))
        if self._desk_dial is not None and call.key in self._off_store:
            self._off_store[call.key] = True  # from now on a desk that does not answer ends it
            leg = w.AgentLeg(f"desk-{call.key}-{next(self._desk_seq)}", DESK_AGENT)
            ring_s = max(1, round(req.max_wait_s))
            await self._apply(call.key, w.AgentOffered(leg, self._desk_dial, ring_s))

    async def rejoin(self, call: QueuedCall) -> None:
        """A waiting caller adopted after an app crash: its store entry stayed (same place in
        line); hold music, announcements and a deadline again, routed from here."""
        state, actions = lifecycle.start(self._waiting(call), call.request.max_wait_s)
        self.hold(call, state)
        self._announcer.open(call)
        await self._run(_Stepped(self._calls[call.key], actions, ended=False))

    def _waiting(self, call: QueuedCall) -> w.Waiting:
        """A new waiting call; its queue's `survey` flag is kept for when the agent hangs up."""
        req = call.request
        queue = self.store.config.queues.get(req.queue)
        caller = req.attributes.get("caller", "")
        survey = queue is not None and queue.survey
        return w.Waiting(call.key, call.channel_id, req.queue, caller, survey=survey)

    def hold(self, call: QueuedCall, state: w.Waiting) -> None:
        """Hold an adopted call as `state` is (bridged: left talking; a callback: in line)."""
        self._calls[call.key] = _Held(call, state)
        self._route_legs(call.key, w.Waiting(call.key, call.channel_id, state.queue), state)
        self._track_ringing(call.key, state)
        if lifecycle.wants_agent(state):
            self._wanting[call.key] = state.queue
            self._router.wake()

    async def cancel(self, key: str, reason: str) -> None:
        await self._apply(key, w.CallerLeft(reason))

    async def handle(self, event: ari.AriEvent) -> None:
        leg = next((i for i in ari.routing_ids(event) if i in self._legs), None)
        if leg is None:
            self._caller_event(event)
            return
        key, client = self._legs[leg]
        fact = leg_event(event, leg, client=client)
        if fact is not None:
            await self._apply(key, fact)

    def _caller_event(self, event: ari.AriEvent) -> None:
        match event:
            case ari.PlaybackFinished(playback=pb):
                self._announcer.finished(pb.id)
            case ari.ChannelDtmfReceived(channel=ch, digit=digit):
                held = self._calls.get(ch.id)
                if held is None or not lifecycle.takes_keys(held.state):
                    return
                option = self._announcer.exit_for(ch.id, digit)
                stepped = None if option is None else self._step(ch.id, w.ExitChosen(option))
                if stepped is not None and stepped.actions:
                    self._spawn(self._run(stepped), f"exit-{ch.id}")

    async def _offered(self, offer: Offer) -> None:
        key = str(offer.call_id)
        if key not in self._calls:  # a call of another process: its owner dials
            return
        leg, ring_s = self._dialer.leg_for(offer)
        await self._apply(key, w.AgentOffered(leg, offer.endpoint, ring_s))

    async def _reaped(self, key: str) -> None:
        await self._apply(key, w.OfferReaped())

    async def _max_wait(self, key: str, after_s: float) -> None:
        await self._clock.sleep(after_s)
        await self._apply(key, w.MaxWaitReached())

    # ------------------------------------------------------------------ the lifecycle

    async def _apply(self, key: str, event: w.Event) -> None:
        stepped = self._step(key, event)
        if stepped is not None:
            await self._run(stepped)

    def _step(self, key: str, event: w.Event) -> _Stepped | None:
        held = self._calls.get(key)
        if held is None:
            return None
        before = held.state
        after, actions = lifecycle.step(before, event)
        held.state = after
        self._route_legs(key, before, after)
        self._track_ringing(key, after)
        if lifecycle.wants_agent(after) and key not in self._off_store:
            self._wanting[key] = after.queue
        else:
            self._wanting.pop(key, None)
        if after.phase is not before.phase:
            agent = after.agent.agent_id if after.agent is not None else "-"
            name = type(event).__name__
            log.info("queue %s -> %s on %s agent=%s", before.phase, after.phase, name, agent)
        ended = after.phase is w.Phase.ENDED and before.phase is not w.Phase.ENDED
        if ended:
            del self._calls[key]
        found = stage(before.phase, after.phase, event)
        by = str(before.agent.agent_id) if before.agent is not None else None
        return _Stepped(held, actions, ended, None if found is None else (found, by))

    async def _run(self, stepped: _Stepped) -> None:
        """Execute the actions in order; an action's answer is stepped at once (it is the
        last of its list)."""
        held = stepped.held
        for action in stepped.actions:
            answer = await self._do(held, action)
            if answer is not None:
                await self._apply(held.call.key, answer)
        if stepped.stage is not None and self._callback_stage is not None:
            await self._callback_stage(held.call.key, *stepped.stage)
        if stepped.ended:
            self._disarm(held)
            self._announcer.close(held.call)
            if self._released is not None:
                self._released(held.call.key)
            self._off_store.pop(held.call.key, None)  # after its store actions were skipped
        elif self._off_store.get(held.call.key) and lifecycle.wants_agent(held.state):
            await self._apply(held.call.key, w.MaxWaitReached())  # the desk did not answer

    def _track_ringing(self, key: str, state: w.Waiting) -> None:
        if state.phase in w.RINGING_PHASES and key not in self._off_store:
            self._ringing.add(key)
        else:
            self._ringing.discard(key)

    def _route_legs(self, key: str, before: w.Waiting, after: w.Waiting) -> None:
        """Bind the legs and bridge `after` holds to the call's lane; unbind those it dropped."""
        old_agent = before.agent.channel_id if before.agent is not None else None
        new_agent = after.agent.channel_id if after.agent is not None else None
        for old, new, client in (
            (old_agent, new_agent, False),
            (before.client, after.client, True),
        ):
            if old == new:
                continue
            if old is not None and self._legs.pop(old, None) is not None:
                self._unbind(old)
            if new is not None:
                self._legs[new] = (key, client)
                self._bind(new, key)
        if before.bridge != after.bridge:
            if before.bridge is not None:
                self._unbind(before.bridge)
            if after.bridge is not None:
                self._bind(after.bridge, key)

    # ------------------------------------------------------------------ actions out

    async def _do(self, held: _Held, action: w.Action) -> w.Event | None:
        key = held.call.key
        match action:
            case w.ArmMaxWait(after_s=after_s):
                held.timer = asyncio.create_task(
                    self._max_wait(key, after_s), name=f"maxwait-{key}"
                )
            case w.DisarmMaxWait():
                self._disarm(held)
            case w.StartAnnouncements():
                self._announcer.start(key)
            case w.StopAnnouncements(cut_prompt=cut_prompt):
                await self._announcer.stop(key, cut_prompt=cut_prompt)
            case w.ConfirmCallback():
                await self._announcer.confirm_callback(key)
            case w.DialAgent():
                return await self._dialer.dial_agent(key, action)
            case w.DialClient():
                return await self._dialer.dial_client(key, action)
            case w.JoinBridge():
                return await ari_actions.join(self._rest, action)
            case w.BookCallback(number=number):
                return await self._book(key, number)
            case w.StoreAnswer() | w.StoreNoAnswer() | w.StoreEnd() | w.StoreRemove():
                await self._store(key, action)
            case w.StartMoh() | w.StopMoh() | w.DestroyBridge() | w.HangUp():
                await ari_actions.run(self._rest, action)
            case w.Deliver(outcome=outcome):
                held.call.deliver(outcome)
            case w.WakeRouter():
                self._router.wake()
        return None

    def _disarm(self, held: _Held) -> None:
        task, held.timer = held.timer, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _store(self, key: str, action: StoreAction) -> None:
        if key in self._off_store:
            return  # held without the store: nothing of it is there
        call, now = CallKey(key), self._clock.now_s()
        try:
            match action:
                case w.StoreAnswer(agent_id=agent):
                    await self.store.answer(call, agent, now)
                case w.StoreNoAnswer(agent_id=agent, reason=reason):
                    await self.store.no_answer(call, agent, now, reason=reason)
                    log.info("agent=%s did not take the call (%s): requeued at head", agent, reason)
                case w.StoreEnd():
                    await self.store.end_call(call, now)
                case w.StoreRemove(result=result):
                    await self.store.remove_call(call, result, now)
        except QueueStoreError as exc:  # e.g. reaped meanwhile: the people still come first
            log.warning("queue store: %s not recorded: %s", type(action).__name__, exc)

    async def _book(self, key: str, number: str) -> w.CallbackBooked | w.CallbackRefused:
        try:
            await self.store.request_callback(CallKey(key), number, self._clock.now_s())
        except QueueStoreError as exc:
            log.warning("callback request refused: %s", exc)
            return w.CallbackRefused()
        log.info("callback requested: place in line kept")
        if self._booked is not None:  # never raises: the follow-up item of the promise
            await self._booked(key, number)
        return w.CallbackBooked()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
