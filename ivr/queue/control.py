"""Call control of a connected call: hold, resume, blind transfer to a queue.

    plan = control.plan(view, Hold())            # pure: what moves where, or ControlRefused
    await CallControl(...).hold(key, actor)      # the shell: ARI + store + audit

Pure part (`plan`): from a `CallView` (the caller's channel, the agent's leg, the call's bridge,
whether the caller is on hold) and a request, the ordered steps, or `ControlRefused` naming why
the request does not apply in that state:
- hold: the caller leaves the call's bridge and hears music on hold on its own channel (the
  class of its queue's `music_on_hold`, else `default`); the agent stays in the bridge and hears
  nothing. Channel music on hold sends no events (docs/asterisk-behaviour.md, "Bridges").
- resume: music off, the caller back into the call's bridge.
- transfer to a queue: the waiting-call lifecycle lets go of the call (`RedisQueueHandoff.detach`),
  the agent's leg is hung up and the bridge destroyed, the store ends the connected call (the
  agent goes to wrap-up), and the call is queued again with its priority class, its first
  enqueue time (so its wait and its place ahead of later callers) and its screen pop.
The whole-call recording (a snoop on the caller's channel, `ivr.call.evidence`) follows the
caller's channel through every step: nothing here touches it.

Shell (`CallControl`): runs the steps over ARI and the queue store and writes one
`call_control_audit` row per action (who, role, call, agent, target).

Rules: the pure part does no I/O; the shell checks the call is connected here before acting and
maps ARI failures to `ControlFailed` (503). Who may act (the agent on the call, supervisors,
admins) is the web layer's decision (`ivr.web.api_control`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeAlias

from ivr.ari import AriError, AriRest, ChannelId
from ivr.clock import Clock
from ivr.errors import Conflict, NotFound, Unavailable
from ivr.queue.handoff import QueuedCall
from ivr.queue.runtime import RedisQueueHandoff
from ivr.queue.waiting import Phase
from ivr.store.control_audit import ControlAudit, ControlAuditStore
from queueing import errors as store_errors
from queueing.errors import QueueStoreError
from queueing.model import QueueResult
from queueing.policy import CallKey
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)


class NotConnectedHere(NotFound):
    """The call is not connected to an agent in this process."""

    code = "call-not-connected"


class ControlRefused(Conflict):
    """The request does not apply to the call in its present state."""

    code = "call-control-refused"


class UnknownTargetQueue(NotFound):
    """No queue of that name to transfer to (the message lists the known ones)."""

    code = "queue-not-found"


class ControlFailed(Unavailable):
    """The switch refused a step: the call may be half-moved (logged)."""

    code = "call-control-failed"
    public_message = "The switch refused a call-control step; try again"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user name and the role it acts in (agent, supervisor, admin)."""

    name: str
    role: str


@dataclass(frozen=True, slots=True)
class CallView:
    """A connected call as call control sees it."""

    key: str
    caller_channel: str
    agent_leg: str
    agent_id: str
    bridge: str
    queue: str
    priority: str
    on_hold: bool


# ---- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hold:
    moh_class: str = "default"


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class TransferToQueue:
    queue: str


ControlRequest = Hold | Resume | TransferToQueue

# ---- steps ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaveBridge:
    channel: str
    bridge: str


@dataclass(frozen=True, slots=True)
class JoinBridge:
    channel: str
    bridge: str


@dataclass(frozen=True, slots=True)
class StartMoh:
    channel: str
    moh_class: str


@dataclass(frozen=True, slots=True)
class StopMoh:
    channel: str


@dataclass(frozen=True, slots=True)
class Detach:
    """The waiting-call lifecycle lets go of the call."""


@dataclass(frozen=True, slots=True)
class HangUp:
    channel: str


@dataclass(frozen=True, slots=True)
class DestroyBridge:
    bridge: str


@dataclass(frozen=True, slots=True)
class EndInStore:
    """The connected call ends in the queue store (the agent goes to wrap-up)."""


@dataclass(frozen=True, slots=True)
class Requeue:
    """Queued again in `queue`: same class, same first enqueue time, same screen pop."""

    queue: str


Step: TypeAlias = (
    LeaveBridge | JoinBridge | StartMoh | StopMoh | Detach | HangUp | DestroyBridge
    | EndInStore | Requeue
)  # fmt: skip


def plan(view: CallView, request: ControlRequest) -> list[Step]:
    """The steps of `request` on the call `view`, or `ControlRefused`."""
    match request:
        case Hold(moh_class=moh_class):
            if view.on_hold:
                raise ControlRefused(f"Call '{view.key}' is already on hold", details=_of(view))
            return [
                LeaveBridge(view.caller_channel, view.bridge),
                StartMoh(view.caller_channel, moh_class),
            ]
        case Resume():
            if not view.on_hold:
                raise ControlRefused(f"Call '{view.key}' is not on hold", details=_of(view))
            return [StopMoh(view.caller_channel), JoinBridge(view.caller_channel, view.bridge)]
        case TransferToQueue(queue=queue):
            steps: list[Step] = [Detach()]
            if view.on_hold:
                steps.append(StopMoh(view.caller_channel))  # the queue starts its own music
            return [
                *steps,
                HangUp(view.agent_leg),
                DestroyBridge(view.bridge),
                EndInStore(),
                Requeue(queue),
            ]


def _of(view: CallView) -> dict[str, object]:
    return {"call_id": view.key, "on_hold": view.on_hold}


# ---- the shell ------------------------------------------------------------------------------


async def end_agent_part(store: RedisQueueStore, key: str, now_s: float) -> None:
    """End the connected call in the store (the agent goes to wrap-up). A call the store no
    longer counts as connected (its offer was reaped before the answer was recorded, so it
    waits in line again there) is removed (`lost`), or queueing it again would be refused."""
    try:
        await store.end_call(CallKey(key), now_s)
    except store_errors.CallNotConnected as exc:
        log.warning("transfer: %s; removing the stale entry before queueing again", exc)
        with contextlib.suppress(QueueStoreError):
            await store.remove_call(CallKey(key), QueueResult.LOST, now_s)
    except QueueStoreError as exc:
        log.warning("transfer: the store did not end the call: %s", exc)


class CallControl:
    """Hold, resume and blind transfer over ARI, audited (see the module docstring)."""

    def __init__(
        self,
        handoff: RedisQueueHandoff,
        rest: AriRest,
        store: RedisQueueStore,
        audit: ControlAuditStore,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._handoff = handoff
        self._rest = rest
        self._store = store
        self._audit = audit
        self._on_hold: set[str] = set()
        self.busy_with: Callable[[str], bool] = lambda _key: False  # a transfer to a person

    def mark_held(self, key: str, held: bool) -> None:
        """Another part (a transfer to a person) put the caller on hold or took it off."""
        if held:
            self._on_hold.add(key)
        else:
            self._on_hold.discard(key)

    def _free(self, view: CallView) -> CallView:
        if self.busy_with(view.key):
            raise ControlRefused(
                f"Call '{view.key}' has a transfer in progress: complete or cancel it first",
                details=_of(view),
            )
        return view

    def view(self, key: str) -> CallView:
        """The connected call `key`, or `NotConnectedHere`."""
        held = self._handoff.held(key)
        if held is None or held[1].phase is not Phase.BRIDGED:
            self._on_hold.discard(key)
            raise NotConnectedHere(f"Call '{key}' is not connected to an agent", details={})
        call, state = held
        assert state.agent is not None  # bridged: an agent leg and a bridge
        assert state.bridge is not None
        return CallView(
            key=key,
            caller_channel=state.channel_id,
            agent_leg=state.agent.channel_id,
            agent_id=str(state.agent.agent_id),
            bridge=state.bridge,
            queue=state.queue,
            priority=call.request.priority,
            on_hold=key in self._on_hold,
        )

    def on_hold(self, key: str) -> bool:
        return key in self._on_hold

    async def hold(self, key: str, actor: Actor) -> CallView:
        view = self._free(self.view(key))
        queue = self._store.config.queues.get(view.queue)
        moh = queue.announcements.music_on_hold if queue is not None else None
        await self._run(view, plan(view, Hold(moh if moh and moh != "none" else "default")))
        self._on_hold.add(key)
        await self._note(actor, "hold", view, view.queue)
        return replace(view, on_hold=True)

    async def resume(self, key: str, actor: Actor) -> CallView:
        view = self._free(self.view(key))
        await self._run(view, plan(view, Resume()))
        self._on_hold.discard(key)
        await self._note(actor, "resume", view, view.queue)
        return replace(view, on_hold=False)

    async def transfer_to_queue(self, key: str, queue: str, actor: Actor) -> CallView:
        if queue not in self._store.config.queues:
            known = ", ".join(sorted(self._store.config.queues))
            raise UnknownTargetQueue(
                f"No queue '{queue}' (queues: {known})", details={"queue": queue}
            )
        view = self._free(self.view(key))
        await self._run(view, plan(view, TransferToQueue(queue)))
        self._on_hold.discard(key)
        await self._note(actor, "transfer", view, f"queue:{queue}")
        return replace(view, queue=queue, on_hold=False)

    async def _note(self, actor: Actor, action: str, view: CallView, target: str) -> None:
        entry = ControlAudit(
            self._audit.now(), actor.name, actor.role, action, view.key, view.agent_id, target, ""
        )
        await self._audit.add(entry)
        log.info("call control %s call=%s by=%s target=%s", action, view.key, actor.name, target)

    async def _run(self, view: CallView, steps: list[Step]) -> None:
        detached: QueuedCall | None = None
        first_enqueue_s: float | None = None
        for step in steps:
            match step:
                case Detach():
                    record = await self._store.get_call(CallKey(view.key))
                    first_enqueue_s = record.enqueued_at_s if record is not None else None
                    held = self._handoff.detach(view.key)
                    if held is None:
                        raise NotConnectedHere(f"Call '{view.key}' is no longer connected")
                    detached = held[0]
                case HangUp(channel=channel):
                    with contextlib.suppress(AriError):  # already gone: what we wanted
                        await self._rest.hangup(ChannelId(channel))
                case DestroyBridge(bridge=bridge):
                    with contextlib.suppress(AriError):
                        await self._rest.destroy_bridge(bridge)
                case EndInStore():
                    await end_agent_part(self._store, view.key, self._clock.now_s())
                case Requeue(queue=queue):
                    assert detached is not None  # Detach comes first
                    request = replace(detached.request, queue=queue)
                    again = replace(detached, request=request, enqueued_at_s=first_enqueue_s)
                    try:
                        await self._handoff.enqueue(again)
                    except QueueStoreError as exc:  # the caller is left on the line alone
                        log.error("transfer: the call could not be queued again: %s", exc)
                        raise ControlFailed(f"queueing again failed: {exc}") from exc
                case _:
                    await self._ari(step)

    async def _ari(self, step: Step) -> None:
        try:
            match step:
                case LeaveBridge(channel=channel, bridge=bridge):
                    await self._rest.remove_channel(bridge, ChannelId(channel))
                case JoinBridge(channel=channel, bridge=bridge):
                    await self._rest.add_channel(bridge, ChannelId(channel))
                case StartMoh(channel=channel, moh_class=moh_class):
                    await self._rest.start_moh(ChannelId(channel), moh_class)
                case StopMoh(channel=channel):
                    await self._rest.stop_moh(ChannelId(channel))
        except AriError as exc:
            log.error("call control step %s failed: %s", type(step).__name__, exc)
            raise ControlFailed(f"the switch refused {type(step).__name__}: {exc}") from exc
