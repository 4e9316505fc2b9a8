"""Adoption: calls that outlived the app's process are taken over, not hung up.

On a real Asterisk the channels of a Stasis app stay in it when the app's process dies
(docs/asterisk-behaviour.md, "Losing the events websocket"). When the restarted process
reclaims its own leftovers (`ivr.queue.recovery`, from the router's first connection, before
any event of the socket is delivered), it asks `Adoption.adopt` about each call first:

- a callback request waiting its turn (the requester gone): held in line by the hand-off,
  dialled from here when an agent is free;
- the caller's channel up, its entry bridged to an agent (bridge `br-<key>` and an agent leg
  up): `bridged`, left talking, legs and bridge held by the hand-off, tracked to its end;
- bridged, but the agent leg or the bridge gone: the entry ended (agent to wrap-up), then as
  a menu caller;
- an agent ringing for it (or answered, its bridge half made): the agent leg hung up, the
  bridge destroyed, the offer released (the call back at the head of its class), then as
  waiting;
- waiting in a queue its flow has a queue node for: `queued`, the same entry (same place in
  line), hold music and announcements again;
- anything else (in a menu, or its queue node gone: the entry removed): `menu`, the apology,
  then the flow again (at its `recovery` node if it names one).

A call is adopted only with its SQL call row still open (`CallRecordWriter.resume`: the row
is found by channel id, never created twice; its trace goes on from the last seq). Channels
of the call left from the dead process (snoops, speech media: `<key>-...`) are hung up: the
adopted session starts its own. The recordings the dead process left open are then stopped
and sealed in the background (`RecordingKeeper.leftovers`, `seal_left`), and a recorded
call's whole-call recording goes on with the next part over the same span (never a second
part 1: its name is taken). Anything
not adopted is reclaimed as before (closed `lost`, by `lost`), and its recordings left open are
sealed too once its row is found.

Rules: only this app's channels are adopted (another instance's app name never sends us their
events); ARI or store failures while adopting are logged and the call is reclaimed instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any, cast

from ivr.ari import AriError, AriRest, ChannelGone, ChannelId
from ivr.call.records import CallRecordWriter
from ivr.call.resumed import Resumed, ResumePoint
from ivr.call.router import CallRouter
from ivr.call.session import CallSession
from ivr.clock import Clock
from ivr.engine import events as ev
from ivr.engine.commands import Enqueue
from ivr.engine.interpreter import rejoin
from ivr.engine.model import FlowSet, Priority
from ivr.queue.handoff import QueuedCall
from ivr.queue.runtime import RedisQueueHandoff
from ivr.queue.waiting import AgentLeg, Phase, Waiting
from queueing.errors import QueueStoreError
from queueing.model import CallRecord, QueueCallState, QueueResult
from queueing.policy import CallKey

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0  # how long the app's stop waits for the seals of reclaimed calls


def _no_outcome(_outcome: ev.QueueOutcome) -> None:
    """The session of an adopted bridged call or callback needs no queue outcome."""


class Adoption:
    """Adopts the surviving calls of a previous process of this app (module docstring)."""

    def __init__(
        self,
        router: CallRouter,
        handoff: RedisQueueHandoff,
        records: CallRecordWriter,
        rest: AriRest,
        clock: Clock,
        *,
        app: str,
    ) -> None:
        self._router = router
        self._handoff = handoff
        self._records = records
        self._rest = rest
        self._clock = clock
        self._app = app
        self.adopted: dict[str, str] = {}  # call key -> how (tests, logs)
        self._sealing: set[asyncio.Task[None]] = set()

    def lost(self, key: str, cause: str) -> None:
        """A reclaimed call: its row closed `lost` (in order, by the record writer), then the
        recordings its dead process left open sealed (in the background)."""
        self._records.lost(key, cause)
        self._background(self._seal_lost(key), f"seal-left-{key}")

    async def _seal_lost(self, key: str) -> None:
        keeper, row = self._router.deps.keeper, await self._records.row_of(key)
        if keeper is not None and row is not None:
            await keeper.seal_left((await keeper.leftovers(str(row.id), None)).still_open)

    def _background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._sealing.add(task)
        task.add_done_callback(self._sealing.discard)

    async def aclose(self) -> None:
        """Let the seals running finish (bounded: `ivr recordings orphans` shows the rest)."""
        if self._sealing:
            await asyncio.wait(set(self._sealing), timeout=STOP_TIMEOUT_S)

    async def adopt(self, key: str, record: CallRecord | None, own: bool) -> bool:
        """Take call `key` over (`own`: it was this app's); False: reclaim it instead."""
        try:
            how = await self._adopt(key, record, own)
        except (AriError, QueueStoreError) as exc:
            log.warning("call=%s not adopted (%s): reclaimed", key, exc)
            return False
        if how is not None:
            self.adopted[key] = how
            log.warning("call=%s adopted as %s", key, how)
        return how is not None

    async def _adopt(self, key: str, record: CallRecord | None, own: bool) -> str | None:
        if record is not None and record.callback_number and record.state is QueueCallState.WAITING:
            await self._hang_up(key)  # the requester's channel, if the confirmation was cut
            self._callback(key, record)
            return "callback"
        application = await self._rest.get_application(self._app)
        if not own or key not in application.channel_ids:
            return None
        channel = await self._rest.get_channel(ChannelId(key))
        row = await self._records.resume(key, key)
        if row is None:
            return None
        deps = self._router.deps
        flows = deps.flows()
        flow = row.flow if row.flow in flows.flows else deps.default_flow
        bridged = f"br-{key}" in application.bridge_ids
        mode, queue = await self._queue_side(key, record, flows, flow, bridged=bridged)
        if bridged and mode != "bridged":  # a bridge being made when the process died
            with contextlib.suppress(AriError):
                await self._rest.destroy_bridge(f"br-{key}")
        resumed = Resumed(str(row.id), flow, row.language, mode, row.dialed, queue)
        session = CallSession(deps, channel, resume=resumed)
        if (keeper := deps.keeper) is not None:  # the dead snoops are gone: seal their parts
            left = await keeper.leftovers(str(row.id), deps.recorded_flows.get(flow))
            session.recordings.earlier = (left.last_part, left.covers_from)
            self._background(keeper.seal_left(left.still_open), f"seal-left-{key}")
        self._router.adopt(session)
        return mode

    # ------------------------------------------------------------------ queue side

    async def _queue_side(
        self, key: str, record: CallRecord | None, flows: FlowSet, flow: str, *, bridged: bool
    ) -> tuple[ResumePoint, str | None]:
        """How the call stood in the queues, settled so the session can go on from there; the
        dead process's snoops and speech media of the call are hung up."""
        legs = [c.id for c in await self._rest.list_channels()]
        for stale in (c for c in legs if c.startswith(f"{key}-")):
            await self._hang_up(stale)
        if record is None:
            return "menu", None
        now, call = self._clock.now_s(), CallKey(key)
        store = self._handoff.store
        agent_legs = [c for c in legs if c.startswith(f"agent-{key}-")]
        if record.state is QueueCallState.CONNECTED:
            leg = agent_legs[-1] if bridged and agent_legs else None
            if leg is not None and record.agent_id is not None:
                waiting = Waiting(
                    key, key, record.queue, record.info.get("caller", ""), phase=Phase.BRIDGED,
                    agent=AgentLeg(leg, record.agent_id), bridge=f"br-{key}",
                )  # fmt: skip
                request = Enqueue(record.queue, {}, _priority(record), 0.0)
                self._handoff.hold(QueuedCall(key, key, request, _no_outcome), waiting)
                return "bridged", record.queue
            await store.end_call(call, now)  # the agent left meanwhile: to wrap-up
            return "menu", None
        if record.state is QueueCallState.OFFERED and record.agent_id is not None:
            for leg in agent_legs:
                await self._hang_up(leg)
            await store.no_answer(call, record.agent_id, now, reason="recovered")
        started = ev.CallStarted("", "", None, self._clock.now())
        if flow in flows.flows and rejoin(flows, flow, started, record.queue) is not None:
            return "queued", record.queue
        await store.remove_call(call, QueueResult.LOST, now)
        return "menu", None

    def _callback(self, key: str, record: CallRecord) -> None:
        request = Enqueue(record.queue, {}, _priority(record), 0.0)
        number = record.callback_number or ""
        waiting = Waiting(key, key, record.queue, number, phase=Phase.CALLBACK_WAITING)
        self._router.dispatcher.open_call(key)  # the lane of its legs (no session)
        self._handoff.hold(QueuedCall(key, key, request, _no_outcome), waiting)

    async def _hang_up(self, channel: str) -> None:
        with contextlib.suppress(ChannelGone):
            await self._rest.hangup(ChannelId(channel))


def _priority(record: CallRecord) -> Priority:
    return cast(Priority, str(record.priority.value))
