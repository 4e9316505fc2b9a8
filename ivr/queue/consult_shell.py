"""The shell of transfers to a person (`ivr.queue.consult`): ARI, the queue store, the audit.

Targets: `agent` (an agent of the store who is ready: dialled at its endpoint and set
not_ready(`transfer`) while the transfer involves it, ready again after) or `number` (checked by
`ivr.engine.phones.parse_phone` and dialled through the `calls.outbound_dial` template; only a
masked form is logged and audited). The target's leg is originated into the app with appArgs
`consult,<call key>` and bound to the call's lane first (`bind`), so its events come here
(`owns`/`handle`, through `ivr.queue.monitor.CallEvents`). Once call control owns a call (`Own`:
agent A left), its bridge is bound here too: the caller leaving it (hanging up) ends the call.

Rules: one transfer per call at a time; every request is audited (`transfer`, target
`agent:ID` or `number:MASKED`, detail `consult|blind|complete|cancel|conference`); `Detach`
takes the call from the waiting-call lifecycle and ends agent A's part in the store (wrap-up);
a failed blind transfer goes back to the call's queue with its class and first enqueue time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from ivr import ari
from ivr.ari import AriError, AriRest, ChannelId
from ivr.clock import Clock
from ivr.engine.phones import dial_string, parse_phone
from ivr.errors import NotFound
from ivr.queue import consult as c
from ivr.queue.control import (
    Actor,
    CallControl,
    ControlFailed,
    ControlRefused,
    DestroyBridge,
    Detach,
    HangUp,
    JoinBridge,
    LeaveBridge,
    Requeue,
    StartMoh,
    StopMoh,
    end_agent_part,
)
from ivr.queue.handoff import QueuedCall
from ivr.queue.runtime import RedisQueueHandoff
from ivr.store.control_audit import ControlAudit, ControlAuditStore
from queueing.errors import QueueStoreError
from queueing.model import AgentState
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

RING_S = 30
FAILED_DIAL = frozenset({"NOANSWER", "BUSY", "CONGESTION", "CHANUNAVAIL", "CANCEL"})


class TargetNotFound(NotFound):
    code = "agent-not-found"


@dataclass
class _Live:
    transfer: c.Transfer
    actor: Actor
    agent_id: str  # agent A
    target_agent: str | None  # an agent of the store set not_ready while involved
    detached: QueuedCall | None = None
    first_enqueue_s: float | None = None


class Transfers:
    """Warm and blind transfers to a person, and conference (see the module docstring)."""

    def __init__(
        self,
        control: CallControl,
        handoff: RedisQueueHandoff,
        rest: AriRest,
        audit: ControlAuditStore,
        clock: Clock,
        *,
        app: str,
        outbound_dial: str,
        bind: Callable[[str, str], None],
        unbind: Callable[[str], None],
    ) -> None:
        self._control, self._handoff, self._rest = control, handoff, rest
        self._store: RedisQueueStore = handoff.store
        self._audit, self._clock = audit, clock
        self._app, self._outbound = app, outbound_dial
        self._bind, self._unbind = bind, unbind
        self._live: dict[str, _Live] = {}
        self._by_id: dict[str, str] = {}  # target leg, owned bridge -> call key
        self._seq = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        control.busy_with = self.active

    def active(self, key: str) -> bool:
        return key in self._live

    def agent_of(self, key: str) -> str | None:
        """Agent A of the transfer of call `key` (who may act on it)."""
        live = self._live.get(key)
        return None if live is None else live.agent_id

    def status(self, key: str) -> c.Transfer | None:
        live = self._live.get(key)
        return None if live is None else live.transfer

    # ------------------------------------------------------------------ requests

    async def start(
        self, key: str, to: str, target: str, actor: Actor, *, blind: bool
    ) -> c.Transfer:
        if key in self._live:
            raise ControlRefused(f"Call '{key}' already has a transfer in progress", details={})
        view = self._control.view(key)
        label, endpoint, target_agent = await self._target(to, target)
        leg = f"{key}-xfer-{next(self._seq)}"
        t = c.Transfer(
            key, view.caller_channel, view.agent_leg, view.bridge, view.queue, label, leg,
            endpoint, view.on_hold,
        )  # fmt: skip
        live = self._live[key] = _Live(t, actor, view.agent_id, target_agent)
        self._by_id[leg] = key
        self._bind(leg, key)
        if target_agent is not None:
            await self._store.set_not_ready(AgentId(target_agent), "transfer", self._clock.now_s())
        await self._note(live, "blind" if blind else "consult")
        live.transfer, steps = (c.start_blind if blind else c.start_consult)(t)
        await self._run(live, steps)
        return live.transfer

    async def request(self, key: str, event: c.Event, actor: Actor) -> c.Transfer:
        live = self._live.get(key)
        if live is None:
            raise ControlRefused(f"Call '{key}' has no transfer in progress", details={})
        before = live.transfer
        after, steps = c.step(before, event)  # ControlRefused if it does not apply
        live.transfer = after
        await self._note(replace(live, actor=actor), type(event).__name__.lower())
        await self._run(live, steps)
        return live.transfer

    async def _target(self, to: str, target: str) -> tuple[str, str, str | None]:
        if to == "number":
            number = parse_phone(target)
            masked = number.e164[:-8] + "****" + number.e164[-4:]
            return f"number:{masked}", dial_string(self._outbound, target), None
        record = await self._store.get_agent(AgentId(target))
        if record is None:
            raise TargetNotFound(f"No agent '{target}'", details={"agent_id": target})
        if record.state is not AgentState.READY:
            raise ControlRefused(
                f"Agent '{target}' is {record.state}, not ready: pick a ready agent",
                details={"agent_id": target},
            )
        return f"agent:{target}", record.profile.endpoint, target

    # ------------------------------------------------------------------ events

    def owns(self, event: ari.AriEvent) -> bool:
        return any(i in self._by_id for i in ari.routing_ids(event))

    async def handle(self, event: ari.AriEvent) -> None:
        key = next((self._by_id[i] for i in ari.routing_ids(event) if i in self._by_id), None)
        live = self._live.get(key or "")
        if live is None:
            return
        t = live.transfer
        channel = getattr(event, "channel", None)
        cid = channel.id if isinstance(channel, ari.Channel) else None
        fact: c.Event | None = None
        match event:
            case ari.StasisStart() if cid == t.target_leg:
                fact = c.TargetAnswered()
            case ari.Dial(dialstatus=status) if status in FAILED_DIAL:
                fact = c.TargetFailed()
            case ari.ChannelHangupRequest() | ari.StasisEnd() | ari.ChannelDestroyed() if (
                cid == t.target_leg
            ):
                ringing = t.phase in (c.Phase.CONSULT_RINGING, c.Phase.BLIND_RINGING)
                fact = c.TargetFailed() if ringing else c.TargetHungUp()
            case ari.ChannelLeftBridge() if cid == t.caller:
                fact = c.CallerLeft()
            case ari.ChannelLeftBridge() if cid == t.target_leg:
                fact = c.TargetLeft()  # the call's bridge went (the caller hung up)
        if fact is not None:
            live.transfer, steps = c.step(t, fact)
            await self._run(live, steps, from_event=True)

    # ------------------------------------------------------------------ steps

    async def _run(self, live: _Live, steps: list[c.Step], *, from_event: bool = False) -> None:
        t = live.transfer
        failed: AriError | None = None
        try:
            for s in steps:
                await self._do(live, s)
        except AriError as exc:  # e.g. the caller hung up meanwhile: end the transfer cleanly
            log.warning("transfer step failed call=%s: %s", t.key, exc)
            failed = exc
            await self._abandon(live)
        finally:
            self._settle(live)
        if live.transfer.phase is c.Phase.ENDED:
            await self._release(live)
        if failed is not None and not from_event:
            raise ControlFailed(f"the switch refused a transfer step: {failed}") from failed

    async def _abandon(self, live: _Live) -> None:
        """End the transfer as it stands: the target's leg hung up; a call control owns goes
        for the caller too."""
        t = live.transfer
        gone: list[c.Step] = [HangUp(t.target_leg)]
        if t.phase in (c.Phase.TRANSFERRED, c.Phase.BLIND_RINGING):
            gone += [HangUp(t.caller), DestroyBridge(t.bridge)]
        live.transfer = replace(t, phase=c.Phase.ENDED)
        for s in gone:
            with contextlib.suppress(AriError):
                await self._do(live, s)

    def lane_closed(self, key: str) -> None:
        """The call's lane ended (nothing holds it any more): a transfer left of it ends."""
        live = self._live.get(key)
        if live is not None:
            task = asyncio.create_task(self._closed(live), name=f"transfer-end-{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _closed(self, live: _Live) -> None:
        await self._abandon(live)
        await self._release(live)

    def _settle(self, live: _Live) -> None:
        """Keep call control's view of the caller's hold in step with the transfer."""
        t = live.transfer
        if t.held and t.phase in (c.Phase.CONSULT_RINGING, c.Phase.CONSULTING, c.Phase.ENDED):
            self._control.mark_held(t.key, True)
        elif not t.held:
            self._control.mark_held(t.key, False)

    async def _do(self, live: _Live, s: c.Step) -> None:
        t = live.transfer
        match s:
            case c.DialTarget(leg=leg, endpoint=endpoint):
                await self._rest.originate(
                    endpoint, app=self._app, app_args=f"consult,{t.key}", timeout_s=RING_S,
                    channel_id=leg,
                )  # fmt: skip
            case Detach():
                record = await self._store.get_call(CallKey(t.key))
                live.first_enqueue_s = record.enqueued_at_s if record is not None else None
                held = self._handoff.detach(t.key)
                if held is None:
                    raise ControlRefused(f"Call '{t.key}' is no longer connected", details={})
                live.detached = held[0]
                await end_agent_part(self._store, t.key, self._clock.now_s())
            case c.Own():
                self._by_id[t.bridge] = t.key
                self._bind(t.bridge, t.key)
            case HangUp(channel=channel):
                with contextlib.suppress(AriError):
                    await self._rest.hangup(ChannelId(channel))
            case DestroyBridge(bridge=bridge):
                with contextlib.suppress(AriError):
                    await self._rest.destroy_bridge(bridge)
            case JoinBridge(channel=channel, bridge=bridge):
                await self._rest.add_channel(bridge, ChannelId(channel))
            case LeaveBridge(channel=channel, bridge=bridge):
                await self._rest.remove_channel(bridge, ChannelId(channel))
            case StartMoh(channel=channel, moh_class=moh_class):
                await self._rest.start_moh(ChannelId(channel), moh_class)
            case StopMoh(channel=channel):
                with contextlib.suppress(AriError):
                    await self._rest.stop_moh(ChannelId(channel))
            case Requeue(queue=queue) if live.detached is not None:
                request = replace(live.detached.request, queue=queue)
                again = replace(live.detached, request=request, enqueued_at_s=live.first_enqueue_s)
                await self._handoff.enqueue(again)
                live.transfer = replace(live.transfer, held=False)  # the queue has it now

    async def _release(self, live: _Live) -> None:
        t = live.transfer
        self._live.pop(t.key, None)
        for channel in (t.target_leg, t.bridge):
            if self._by_id.pop(channel, None) is not None:
                self._unbind(channel)
        if live.target_agent is not None:
            with contextlib.suppress(QueueStoreError):
                await self._store.set_ready(AgentId(live.target_agent), self._clock.now_s())
        log.info("transfer over call=%s target=%s", t.key, t.target)

    async def _note(self, live: _Live, detail: str) -> None:
        t = live.transfer
        entry = ControlAudit(
            self._audit.now(), live.actor.name, live.actor.role, "transfer", t.key,
            live.agent_id, t.target, detail,
        )  # fmt: skip
        await self._audit.add(entry)
        log.info("transfer %s call=%s by=%s target=%s", detail, t.key, live.actor.name, t.target)
