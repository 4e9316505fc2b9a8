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
- Waiting callers (with `prompts` wired): at entry and every `periodic_every_s` of the queue
  (clock time) an announcement of position, estimated wait and open exits (`ivr.queue.announce`):
  MOH stops, the TTS prompt plays, MOH restarts. While waiting the caller's DTMF is ours
  (`owns`): `*` = callback request keeping the place in line (`store.request_callback`, a
  confirmation, the caller hung up; the call stays owned here and is offered like any other,
  its agent leg carrying the callback number); `#` = voice message (`remove_call(VOICE_MESSAGE)`,
  the flow hears `QueueOutcome("overflow")` and takes the message on its `on_overflow` path).
- `post_alert` puts a supervisor alert (`type=alert`) on the store's event stream.
Every ARI failure here is logged and turned into a requeue or a clean end: no agent is left
reserved and no caller left in silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.exceptions import RedisError

from ivr import ari
from ivr.ari import AriError, AriRest
from ivr.clock import Clock
from ivr.engine.commands import Prompt, TtsPrompt
from ivr.engine.events import QueueOutcome
from ivr.providers import LookupData, LookupProvider, LookupProviders
from ivr.queue import announce
from ivr.queue.handoff import QueuedCall
from queueing.config import ExitOption, PriorityClass
from queueing.errors import QueueStoreError
from queueing.model import Offer, QueueResult
from queueing.policy import AgentId, CallKey, pick
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

ROUTE_INTERVAL_S = 0.5  # clock seconds between router passes when nothing wakes it
FAILED_DIAL = {"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL", "CANCEL"}
ANNOUNCE_TIMEOUT_S = 60.0  # clock seconds one announcement may take before MOH comes back
ALERT_REASONS = frozenset({"emergency_order"})


class PromptMedia(Protocol):
    """Turns a prompt into an ARI media URI (the session's `PromptMedia`)."""

    async def media_uri(self, prompt: Prompt) -> str: ...


@dataclass
class _Leg:
    channel_id: str
    call_key: str
    agent_id: AgentId
    answered: bool = False
    client: bool = False  # the leg that calls a callback requester back


@dataclass
class _Waiting:
    call: QueuedCall
    deadline: asyncio.Task[None] | None = None
    leg: _Leg | None = None
    bridge_id: str | None = None
    connected: bool = False
    legs_tried: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    announcer: asyncio.Task[None] | None = None
    playback_id: str | None = None
    played: asyncio.Event = field(default_factory=asyncio.Event)
    exits: announce.Exits = field(default_factory=announce.Exits)
    leaving: bool = False  # an exit key was taken: no second one, no more announcements
    callback_number: str | None = None  # set once the caller left a callback request
    client_leg: _Leg | None = None


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
        prompts: PromptMedia | None = None,
    ) -> None:
        self.store = store
        self._rest = rest
        self._clock = clock
        self._app = app
        self._bind = bind
        self._unbind = unbind
        self._on_connected = on_connected
        self.prompts = prompts  # None: no announcements (music on hold only)
        self._playbacks: dict[str, str] = {}  # announcement playback id -> call key
        self._tasks: set[asyncio.Task[None]] = set()
        self.callback_endpoint = "PJSIP/{number}"  # how a callback requester is dialled
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
            self._stop_announcer(waiting)
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def owns(self, event: ari.AriEvent) -> bool:
        """Agent-leg events; announcement playbacks; a waiting caller's DTMF (exit keys)."""
        ids = ari.routing_ids(event)
        if any(i in self._legs for i in ids):
            return True
        match event:
            case ari.PlaybackFinished(playback=pb):
                return pb.id in self._playbacks
            case ari.ChannelDtmfReceived(channel=ch):
                waiting = self._calls.get(ch.id)
                return waiting is not None and not waiting.connected
        return False

    @property
    def live(self) -> dict[str, int]:
        """What the hand-off still holds (tests assert on it)."""
        callbacks = sum(1 for w in self._calls.values() if w.callback_number is not None)
        return {
            "calls": len(self._calls) - callbacks,
            "callbacks": callbacks,
            "legs": len(self._legs),
            "playbacks": len(self._playbacks),
            "tasks": len(self._tasks),
            "announcers": sum(1 for w in self._calls.values() if w.announcer is not None),
        }

    @property
    def waiting(self) -> frozenset[str]:
        return frozenset(self._calls)

    # ------------------------------------------------------------------ QueueHandoff

    async def enqueue(self, call: QueuedCall) -> None:
        req = call.request
        info = {k: str(v) for k, v in req.attributes.items()}
        info.setdefault("priority", req.priority)
        await self.store.enqueue(
            CallKey(call.key), req.queue, PriorityClass(req.priority), self._clock.now_s(), info
        )
        waiting = _Waiting(call, exits=announce.Exits(callback=req.offer_callback))
        self._calls[call.key] = waiting
        waiting.deadline = asyncio.create_task(self._max_wait(call), name=f"maxwait-{call.key}")
        with contextlib.suppress(AriError):
            await self._rest.start_moh(call.channel_id)  # type: ignore[arg-type]
        if self.prompts is not None:
            waiting.announcer = asyncio.create_task(
                self._announce_forever(waiting), name=f"announce-{call.key}"
            )
        self._wake.set()

    async def cancel(self, key: str, reason: str) -> None:
        waiting = self._calls.get(key)
        if waiting is None or waiting.callback_number is not None:
            return  # a callback request keeps its place after the caller hung up
        self._calls.pop(key, None)
        if waiting.deadline is not None:
            waiting.deadline.cancel()
        self._stop_announcer(waiting)
        now = self._clock.now_s()
        if waiting.connected:
            with contextlib.suppress(QueueStoreError):
                await self.store.end_call(CallKey(key), now)
        else:
            with contextlib.suppress(QueueStoreError):
                await self.store.remove_call(CallKey(key), QueueResult.ABANDONED, now)
        await self._drop_leg(waiting)
        log.info("left queue reason=%s connected=%s", reason, waiting.connected)

    # ------------------------------------------------------------------ router

    async def _route_forever(self) -> None:
        while not self._stopping:
            try:
                await self.route_once()
            except QueueStoreError as exc:
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
        if waiting is None or waiting.connected or waiting.leaving:
            return
        self._calls.pop(call.key, None)
        self._stop_announcer(waiting)
        with contextlib.suppress(QueueStoreError):
            await self.store.remove_call(
                CallKey(call.key), QueueResult.TIMED_OUT, self._clock.now_s()
            )
        await self._drop_leg(waiting)
        call.deliver(QueueOutcome("timeout", call.request.queue))

    # ------------------------------------------------------------------ agent leg events

    async def handle(self, event: ari.AriEvent) -> None:
        leg = next((self._legs[i] for i in ari.routing_ids(event) if i in self._legs), None)
        if leg is None:
            await self._caller_event(event)
            return
        waiting = self._calls.get(leg.call_key)
        match event:
            case ari.StasisStart() if leg.client and waiting is not None and waiting.bridge_id:
                leg.answered = True
                with contextlib.suppress(AriError):
                    await self._rest.add_channel(waiting.bridge_id, leg.channel_id)  # type: ignore[arg-type]
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
        if waiting.callback_number is not None:
            await self._connect_callback(waiting, leg)
            return
        await self._stop_announcement(waiting)
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
            await self.store.answer(CallKey(call.key), leg.agent_id, self._clock.now_s())
        except QueueStoreError as exc:  # reaped meanwhile: still connect the two people
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
        with contextlib.suppress(QueueStoreError):
            await self.store.no_answer(
                CallKey(waiting.call.key), leg.agent_id, self._clock.now_s(), reason=reason
            )
        log.info("agent=%s did not take the call (%s): requeued at head", leg.agent_id, reason)
        self._wake.set()

    async def _leg_ended(self, waiting: _Waiting | None, leg: _Leg) -> None:
        self._forget(leg)
        if waiting is None:
            return
        if not leg.answered and leg.client:
            leg.answered = True  # the client did not pick up: end the callback like a hang-up
        if not leg.answered:
            if waiting.leg is leg:
                await self._requeue(waiting, leg, "leg_ended")
            return
        # the agent (or the called-back client) hung up a connected call: end it for all
        self._calls.pop(waiting.call.key, None)
        if waiting.leg is not None and waiting.leg is not leg:
            await self._drop_leg(waiting)
        await self._drop_client(waiting)
        with contextlib.suppress(QueueStoreError):
            await self.store.end_call(CallKey(waiting.call.key), self._clock.now_s())
        await self._destroy_bridge(waiting)
        with contextlib.suppress(AriError):
            await self._rest.hangup(waiting.call.channel_id)  # type: ignore[arg-type]

    async def _drop_client(self, waiting: _Waiting) -> None:
        leg, waiting.client_leg = waiting.client_leg, None
        if leg is not None:
            self._forget(leg)
            with contextlib.suppress(AriError):
                await self._rest.hangup(leg.channel_id)  # type: ignore[arg-type]

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

    # ------------------------------------------------------------------ waiting callers

    async def _announce_forever(self, waiting: _Waiting) -> None:
        """Announce at entry, then every `periodic_every_s` (clock time) while waiting."""
        queue = self.store.config.queues[waiting.call.request.queue]
        every_s = queue.announcements.periodic_every_s
        while not waiting.connected and not waiting.leaving:
            try:
                await self._announce_once(waiting)
            except (QueueStoreError, AriError) as exc:
                log.warning("waiting announcement skipped: %s", exc)
            await self._clock.sleep(every_s)

    async def _announce_once(self, waiting: _Waiting) -> None:
        call = waiting.call
        view = await self.store.caller_view(CallKey(call.key), self._clock.now_s())
        if view is None:
            return
        waiting.exits = announce.open_exits(view, call.request.offer_callback)
        queue = self.store.config.queues[call.request.queue]
        language = call.request.attributes.get("language", "zh-CN")
        text = announce.waiting_text(view, queue.announcements, language, waiting.exits)
        if text is not None:
            log.info("announced pos=%d", view.position)
            await self._say(waiting, text, restart_moh=True)

    async def _say(self, waiting: _Waiting, text: str, *, restart_moh: bool) -> None:
        """Stop MOH, play `text` (TTS) to the caller, wait for it, restart MOH if asked."""
        assert self.prompts is not None
        call = waiting.call
        language = call.request.attributes.get("language", "zh-CN")
        media = await self.prompts.media_uri(TtsPrompt(text, language))
        pb_id = f"{call.key}-wait-{next(self._seq)}"
        with contextlib.suppress(AriError):
            await self._rest.stop_moh(call.channel_id)  # type: ignore[arg-type]
        waiting.played.clear()
        waiting.playback_id = pb_id
        self._playbacks[pb_id] = call.key
        try:
            await self._rest.play(call.channel_id, media, playback_id=pb_id)  # type: ignore[arg-type]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._clock.wall_seconds(ANNOUNCE_TIMEOUT_S)):
                    await waiting.played.wait()
        finally:
            self._playbacks.pop(pb_id, None)
            waiting.playback_id = None
        if restart_moh and not waiting.connected and not waiting.leaving:
            with contextlib.suppress(AriError):
                await self._rest.start_moh(call.channel_id)  # type: ignore[arg-type]

    def _stop_announcer(self, waiting: _Waiting) -> None:
        task, waiting.announcer = waiting.announcer, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _stop_announcement(self, waiting: _Waiting) -> None:
        """No more announcements; a prompt still playing is stopped."""
        pb_id = waiting.playback_id
        self._stop_announcer(waiting)
        if pb_id is not None:
            self._playbacks.pop(pb_id, None)
            with contextlib.suppress(AriError):
                await self._rest.stop_playback(pb_id)

    async def _caller_event(self, event: ari.AriEvent) -> None:
        match event:
            case ari.PlaybackFinished(playback=pb) if pb.id in self._playbacks:
                waiting = self._calls.get(self._playbacks[pb.id])
                if waiting is not None:
                    waiting.played.set()
            case ari.ChannelDtmfReceived(channel=ch, digit=digit):
                waiting = self._calls.get(ch.id)
                if waiting is None or waiting.connected or waiting.leaving:
                    return
                exit_option = waiting.exits.allows(digit)
                if exit_option is None:
                    return
                waiting.leaving = True  # no second exit, no more announcements
                self._spawn(self._leave(waiting, exit_option), f"exit-{waiting.call.key}")

    async def _leave(self, waiting: _Waiting, option: ExitOption) -> None:
        await self._stop_announcement(waiting)
        if option is ExitOption.CALLBACK:
            await self._leave_for_callback(waiting)
        else:
            await self._leave_for_message(waiting)

    async def _leave_for_callback(self, waiting: _Waiting) -> None:
        """`*`: keep the place in line under a callback request, confirm, hang up."""
        call = waiting.call
        number = call.request.attributes.get("caller", "")
        try:
            await self.store.request_callback(CallKey(call.key), number, self._clock.now_s())
        except QueueStoreError as exc:
            log.warning("callback request refused: %s", exc)
            waiting.leaving = False
            return
        waiting.callback_number = number
        if waiting.deadline is not None:
            waiting.deadline.cancel()
        log.info("callback requested: place in line kept")
        if self.prompts is not None:
            language = call.request.attributes.get("language", "zh-CN")
            with contextlib.suppress(AriError):
                await self._say(
                    waiting, announce.callback_confirmation(language), restart_moh=False
                )
        with contextlib.suppress(AriError):
            await self._rest.hangup(call.channel_id)  # type: ignore[arg-type]
        self._wake.set()

    async def _leave_for_message(self, waiting: _Waiting) -> None:
        """`#`: out of the queue (counted as a voice message); the flow takes the message."""
        call = waiting.call
        self._calls.pop(call.key, None)
        if waiting.deadline is not None:
            waiting.deadline.cancel()
        with contextlib.suppress(QueueStoreError):
            await self.store.remove_call(
                CallKey(call.key), QueueResult.VOICE_MESSAGE, self._clock.now_s()
            )
        await self._drop_leg(waiting)
        with contextlib.suppress(AriError):
            await self._rest.stop_moh(call.channel_id)  # type: ignore[arg-type]
        log.info("left queue for a voice message")
        call.deliver(QueueOutcome("overflow", call.request.queue))

    async def _connect_callback(self, waiting: _Waiting, agent: _Leg) -> None:
        """The agent took a callback request: agent in a bridge, then the client is dialled."""
        call = waiting.call
        try:
            bridge = await self._rest.create_bridge("mixing", bridge_id=f"br-{call.key}")
            waiting.bridge_id = bridge.id
            self._bind(bridge.id, call.key)
            await self._rest.add_channel(bridge.id, agent.channel_id)  # type: ignore[arg-type]
        except AriError as exc:
            log.error("callback bridge failed: %s", exc)
            await self._requeue(waiting, agent, "bridge_failed")
            return
        with contextlib.suppress(QueueStoreError):
            await self.store.answer(CallKey(call.key), agent.agent_id, self._clock.now_s())
        waiting.connected = True
        client = _Leg(f"callback-{call.key}", call.key, agent.agent_id, client=True)
        waiting.client_leg = client
        self._legs[client.channel_id] = client
        self._bind(client.channel_id, call.key)
        try:
            await self._rest.originate(
                self.callback_endpoint.format(number=waiting.callback_number),
                app=self._app,
                app_args=f"callback,{call.key}",
                timeout_s=30,
                channel_id=client.channel_id,
            )
            log.info("calling back the client agent=%s", agent.agent_id)
        except AriError as exc:
            log.error("callback dial failed: %s", exc)
            await self._leg_ended(waiting, client)


async def post_alert(
    store: RedisQueueStore, kind: str, now_s: float, fields: Mapping[str, str]
) -> str:
    """Put a supervisor alert on the store's event stream; its entry id.

    Entry fields: `type=alert`, `kind`, `at`, then `fields` (no secrets: callers pass masked
    values only). Supervisors read it with `store.events(after=...)`.
    """
    entry: dict[Any, Any] = {"type": "alert", "kind": kind, "at": repr(float(now_s))}
    entry.update(fields)
    try:
        event_id = await store.client.xadd(
            store.key("events"), entry, maxlen=store.events_maxlen, approximate=True
        )
    except RedisError as exc:
        raise QueueStoreError(f"queue store: alert failed: {exc}") from exc
    log.warning("supervisor alert kind=%s", kind)
    return str(event_id)


def needs_alert(reason: str) -> bool:
    """Callback reasons that are urgent enough to alert a supervisor."""
    return reason in ALERT_REASONS


class _AlertingProvider:
    def __init__(self, inner: LookupProvider, store: RedisQueueStore, clock: Clock) -> None:
        self._inner, self._store, self._clock = inner, store, clock

    async def lookup(self, name: str, params: Mapping[str, str]) -> tuple[str, LookupData]:
        result, data = await self._inner.lookup(name, params)
        reason = params.get("reason", "")
        if name == "request_callback" and result == "ok" and needs_alert(reason):
            fields = {"reason": reason, "caller": params.get("caller", "")}
            fields["queue"] = params.get("queue", "")
            fields["callback_id"] = str(data.get("callback_id", ""))
            try:
                await post_alert(self._store, "urgent_callback", self._clock.now_s(), fields)
            except QueueStoreError as exc:  # the callback is booked; the alert is best effort
                log.error("supervisor alert not posted: %s", exc)
        return result, data


class AlertingProviders:
    """Lookup providers that also alert supervisors when an urgent callback is booked
    (`request_callback` answered `ok` with a reason in `ALERT_REASONS`)."""

    def __init__(self, inner: LookupProviders, store: RedisQueueStore, clock: Clock) -> None:
        self._inner, self._store, self._clock = inner, store, clock

    def for_call(self, call_id: str) -> LookupProvider:
        return _AlertingProvider(self._inner.for_call(call_id), self._store, self._clock)
