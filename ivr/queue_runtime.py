"""The ARI side of skill-based queueing: waiting callers, agent legs, bridges.

`RedisQueueHandoff` implements the session's `QueueHandoff` port on `queueing.RedisQueueStore`:
- `enqueue`: the call goes into Redis (with its screen pop as `info`), the caller hears music
  on hold, a max-wait deadline is armed.
- A router task (one per process; several processes may run, the store's Lua reservation keeps
  one agent per call) asks `store.route(now)` for offers and dials each agent's endpoint with
  `POST /channels` (app = ours), binding the agent leg to the caller's call key so its events
  come back in the call's ordered lane (`handle`).
- Agent leg enters Stasis (answered) -> a mixing bridge joins caller and agent, MOH stops,
  `store.answer`, the session hears `QueueOutcome("answered")`.
- Dial NOANSWER/BUSY/CONGESTION, or the leg dies before answering -> `store.no_answer`: the call
  goes back to the head of its class with its original wait (the store keeps `enqueued_at`).
- The reaper releases offers past the ring timeout (`store.reap`) and hangs up their legs.
- Caller hang-up (`cancel`): waiting/offered -> `remove_call(ABANDONED)` and any ringing leg is
  hung up; connected -> `end_call` (agent to wrap-up), agent leg hung up, bridge destroyed.
- Agent hang-up while connected: `end_call`, the caller is hung up (the session sees it).
Every ARI failure here is logged and turned into a requeue or a clean end: no agent is left
reserved and no caller left in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ivr import ari
from ivr.ari import AriError, AriRest
from ivr.clock import Clock
from ivr.engine.events import QueueOutcome
from ivr.handoff import QueuedCall
from queueing.config import PriorityClass
from queueing.errors import StoreError
from queueing.model import Offer, Outcome
from queueing.policy import AgentId, CallId, pick
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

ROUTE_INTERVAL_S = 0.5  # clock seconds between router passes when nothing wakes it
FAILED_DIAL = {"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL", "CANCEL"}


@dataclass
class _Leg:
    channel_id: str
    call_key: str
    agent_id: AgentId
    answered: bool = False


@dataclass
class _Waiting:
    call: QueuedCall
    deadline: asyncio.Task[None] | None = None
    leg: _Leg | None = None
    bridge_id: str | None = None
    connected: bool = False
    legs_tried: int = 0
    extra: dict[str, str] = field(default_factory=dict)


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
        on_connected: Callable[[QueuedCall, _Leg, str], None] | None = None,
    ) -> None:
        self.store = store
        self._rest = rest
        self._clock = clock
        self._app = app
        self._bind = bind
        self._unbind = unbind
        self._on_connected = on_connected
        self._calls: dict[str, _Waiting] = {}
        self._legs: dict[str, _Leg] = {}
        self._wake = asyncio.Event()
        self._router: asyncio.Task[None] | None = None
        self._seq = itertools.count(1)
        self._stopping = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._router = asyncio.create_task(self._route_forever(), name="queue-router")

    async def aclose(self) -> None:
        # A stop flag, not only cancel(): on Python 3.11 a cancel that lands as the
        # router's `asyncio.timeout` expires is swallowed as a timeout.
        self._stopping = True
        self._wake.set()
        if self._router is not None:
            done, _ = await asyncio.wait({self._router}, timeout=2.0)
            if not done:
                self._router.cancel()
                await asyncio.wait({self._router}, timeout=2.0)
        for waiting in self._calls.values():
            if waiting.deadline is not None:
                waiting.deadline.cancel()

    def owns(self, event: ari.AriEvent) -> bool:
        return any(i in self._legs for i in ari.routing_ids(event))

    @property
    def waiting(self) -> frozenset[str]:
        return frozenset(self._calls)

    # ------------------------------------------------------------------ QueueHandoff

    async def enqueue(self, call: QueuedCall) -> None:
        req = call.request
        info = {k: str(v) for k, v in req.attributes.items()}
        info.setdefault("priority", req.priority)
        await self.store.enqueue(
            CallId(call.key), req.queue, PriorityClass(req.priority), self._clock.now_s(), info
        )
        waiting = _Waiting(call)
        self._calls[call.key] = waiting
        waiting.deadline = asyncio.create_task(self._max_wait(call), name=f"maxwait-{call.key}")
        with contextlib.suppress(AriError):
            await self._rest.start_moh(call.channel_id)  # type: ignore[arg-type]
        self._wake.set()

    async def cancel(self, key: str, reason: str) -> None:
        waiting = self._calls.pop(key, None)
        if waiting is None:
            return
        if waiting.deadline is not None:
            waiting.deadline.cancel()
        now = self._clock.now_s()
        if waiting.connected:
            with contextlib.suppress(StoreError):
                await self.store.end_call(CallId(key), now)
        else:
            with contextlib.suppress(StoreError):
                await self.store.remove_call(CallId(key), Outcome.ABANDONED, now)
        await self._drop_leg(waiting)
        log.info("left queue reason=%s connected=%s", reason, waiting.connected)

    # ------------------------------------------------------------------ router

    async def _route_forever(self) -> None:
        while not self._stopping:
            try:
                await self.route_once()
            except StoreError as exc:
                log.error("queue router: %s", exc)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._clock.wall_seconds(ROUTE_INTERVAL_S)):
                    await self._wake.wait()
            self._wake.clear()

    async def route_once(self) -> None:
        now = self._clock.now_s()
        reaped = await self.store.reap(now)
        for call_id in reaped.released:
            await self._reaped(str(call_id))
        for offer in await self._route_mine(now):
            await self._offer(offer)

    async def _route_mine(self, now: float) -> list[Offer]:
        """`store.route`, restricted to the calls this process owns (it has their channels
        and must dial their agents); agents are shared by every process and reserved
        atomically, so two processes never take the same agent."""
        if not self._calls:
            return []
        calls, agents = await self.store.snapshot(now)
        mine = [c for c in calls if str(c.call_id) in self._calls]
        if not mine or not agents:
            return []
        endpoints = {a.agent_id: endpoint for a, endpoint in agents}
        queues = self.store.config.queues
        proposals = [
            Offer(
                pair.call_id,
                pair.agent_id,
                endpoints[pair.agent_id],
                self._calls[str(pair.call_id)].call.request.queue,
                now + queues[self._calls[str(pair.call_id)].call.request.queue].ring_timeout_s,
            )
            for pair in pick(self.store.config, mine, [a for a, _ in agents], now)
        ]
        return await self.store.reserve(proposals, now)

    async def _offer(self, offer: Offer) -> None:
        waiting = self._calls.get(str(offer.call_id))
        if waiting is None:  # a call of another process: its owner dials
            return
        waiting.legs_tried += 1
        leg_id = f"agent-{offer.call_id}-{next(self._seq)}"
        leg = _Leg(leg_id, waiting.call.key, offer.agent_id)
        self._legs[leg_id] = leg
        self._bind(leg_id, waiting.call.key)
        waiting.leg = leg
        ring_s = max(1, round(offer.deadline_s - self._clock.now_s()))
        caller = waiting.call.request.attributes.get("caller", "")
        try:
            await self._rest.originate(
                offer.endpoint,
                app=self._app,
                app_args=f"agent,{waiting.call.key}",
                caller_id=caller or None,
                timeout_s=ring_s,
                channel_id=leg_id,
            )
            log.info("ringing agent=%s endpoint=%s", offer.agent_id, offer.endpoint)
        except AriError as exc:
            log.warning("dialing agent=%s failed: %s", offer.agent_id, exc)
            await self._requeue(waiting, leg, "dial_failed")

    async def _reaped(self, key: str) -> None:
        waiting = self._calls.get(key)
        if waiting is not None and waiting.leg is not None and not waiting.leg.answered:
            leg, waiting.leg = waiting.leg, None
            self._forget(leg)
            with contextlib.suppress(AriError):
                await self._rest.hangup(leg.channel_id)  # type: ignore[arg-type]
        self._wake.set()

    async def _max_wait(self, call: QueuedCall) -> None:
        await self._clock.sleep(call.request.max_wait_s)
        waiting = self._calls.get(call.key)
        if waiting is None or waiting.connected:
            return
        self._calls.pop(call.key, None)
        with contextlib.suppress(StoreError):
            await self.store.remove_call(CallId(call.key), Outcome.TIMED_OUT, self._clock.now_s())
        await self._drop_leg(waiting)
        call.deliver(QueueOutcome("timeout", call.request.queue))

    # ------------------------------------------------------------------ agent leg events

    async def handle(self, event: ari.AriEvent) -> None:
        leg = next((self._legs[i] for i in ari.routing_ids(event) if i in self._legs), None)
        if leg is None:
            return
        waiting = self._calls.get(leg.call_key)
        match event:
            case ari.StasisStart() if waiting is not None and not leg.answered:
                await self._connect(waiting, leg)
            case ari.StasisStart():
                with contextlib.suppress(AriError):  # the caller left meanwhile
                    await self._rest.hangup(leg.channel_id)  # type: ignore[arg-type]
                self._forget(leg)
            case ari.Dial(dialstatus=status) if status in FAILED_DIAL and not leg.answered:
                if waiting is not None:
                    await self._requeue(waiting, leg, status.lower())
            case ari.ChannelDestroyed() | ari.StasisEnd() | ari.ChannelHangupRequest():
                await self._leg_ended(waiting, leg)

    async def _connect(self, waiting: _Waiting, leg: _Leg) -> None:
        leg.answered = True
        call = waiting.call
        try:
            with contextlib.suppress(AriError):
                await self._rest.stop_moh(call.channel_id)  # type: ignore[arg-type]
            if call.bridge_id is not None:  # the call's recorded bridge: the agent joins it
                bridge_id = call.bridge_id
            else:
                bridge = await self._rest.create_bridge("mixing", bridge_id=f"br-{call.key}")
                bridge_id = waiting.bridge_id = bridge.id
                self._bind(bridge_id, call.key)
                await self._rest.add_channel(bridge_id, call.channel_id)  # type: ignore[arg-type]
            await self._rest.add_channel(bridge_id, leg.channel_id)  # type: ignore[arg-type]
        except AriError as exc:
            log.error("bridging agent=%s failed: %s", leg.agent_id, exc)
            await self._requeue(waiting, leg, "bridge_failed")
            return
        try:
            await self.store.answer(CallId(call.key), leg.agent_id, self._clock.now_s())
        except StoreError as exc:  # reaped meanwhile: still connect the two people
            log.warning("answer not recorded: %s", exc)
        waiting.connected = True
        if waiting.deadline is not None:
            waiting.deadline.cancel()
        log.info("bridged agent=%s", leg.agent_id)
        if self._on_connected is not None:
            self._on_connected(call, leg, bridge_id)
        call.deliver(QueueOutcome("answered", call.request.queue, str(leg.agent_id)))

    async def _requeue(self, waiting: _Waiting, leg: _Leg, reason: str) -> None:
        self._forget(leg)
        if waiting.leg is leg:
            waiting.leg = None
        with contextlib.suppress(StoreError):
            await self.store.no_answer(
                CallId(waiting.call.key), leg.agent_id, self._clock.now_s(), reason=reason
            )
        log.info("agent=%s did not take the call (%s): requeued at head", leg.agent_id, reason)
        self._wake.set()

    async def _leg_ended(self, waiting: _Waiting | None, leg: _Leg) -> None:
        self._forget(leg)
        if waiting is None:
            return
        if not leg.answered:
            if waiting.leg is leg:
                await self._requeue(waiting, leg, "leg_ended")
            return
        # the agent hung up a connected call: end it for the caller too
        self._calls.pop(waiting.call.key, None)
        with contextlib.suppress(StoreError):
            await self.store.end_call(CallId(waiting.call.key), self._clock.now_s())
        await self._destroy_bridge(waiting)
        with contextlib.suppress(AriError):
            await self._rest.hangup(waiting.call.channel_id)  # type: ignore[arg-type]

    async def _drop_leg(self, waiting: _Waiting) -> None:
        leg, waiting.leg = waiting.leg, None
        if leg is not None:
            self._forget(leg)
            with contextlib.suppress(AriError):
                await self._rest.hangup(leg.channel_id)  # type: ignore[arg-type]
        await self._destroy_bridge(waiting)

    async def _destroy_bridge(self, waiting: _Waiting) -> None:
        if waiting.bridge_id is not None:
            bridge, waiting.bridge_id = waiting.bridge_id, None
            self._unbind(bridge)
            with contextlib.suppress(AriError):
                await self._rest.destroy_bridge(bridge)

    def _forget(self, leg: _Leg) -> None:
        if self._legs.pop(leg.channel_id, None) is not None:
            self._unbind(leg.channel_id)
