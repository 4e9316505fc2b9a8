"""Ownership and recovery: this instance's lease, and reclaiming what a dead instance owned.

`Recovery` keeps this instance's lease (`queueing.leases.Leases`: renewed every
`RENEW_EVERY_S` of clock time, lasting `LEASE_S` and at least `LEASE_WALL_S` of wall time) and
its owned set: the router tells it each call it opens (`own`) and each call whose lane ends
(`disown`), applied in order by one task.
At start it takes over its own leftovers (the same instance id before a crash: nothing of
them runs any more), and on every beat the calls of instances whose lease expired.

Reclaiming one call (its key is the caller's channel id, the queue store's call id):
- a call the hand-off of this process holds is left alone (adopted meanwhile);
- first the `adopt` hook (`ivr.call.adoption`) may take it over: a surviving channel of this
  instance's own app, or a callback request in line; adopted calls stay owned, nothing else
  below happens to them;
- a caller channel still up on the switch, not adopted, is hung up with every leg of the
  call (agent leg, callback leg, snoops): nobody drives them any more;
- the queue entry: waiting -> removed (`lost`); a callback request waiting for its turn is
  kept in line; offered (an agent ringing) -> removed, the agent freed; connected -> ended,
  the agent to wrap-up (handle time recorded); then an agent freed that way is set
  not-ready with reason `recovered` when it is not already free;
- the SQL call row, if still open, is closed with outcome `lost` and the cause: through the
  call-record writer (`close_lost`), after every record it holds or replays from its journal,
  and only a row with no end (a row is never closed twice).

Rules: Redis or ARI failing during a beat is logged (one line) and retried at the next beat;
`aclose` stops the task within a bounded wait and releases the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ivr.ari import AriError, AriRest, ChannelGone, ChannelId
from ivr.clock import Clock
from ivr.queue.dialer import margin_s
from queueing.errors import QueueStoreError
from queueing.leases import LEASE_S, RENEW_EVERY_S, Leases
from queueing.model import AgentState, CallRecord, QueueCallState, QueueResult
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 2.0
LEASE_WALL_S = 5.0  # a lease lasts LEASE_S of clock time, and at least this many wall seconds
FREE = frozenset(
    {AgentState.READY, AgentState.WRAP_UP, AgentState.LOGGED_OUT, AgentState.NOT_READY}
)
CloseLost = Callable[
    [str, str], None
]  # (call key, cause): close its open SQL row as lost, in order
# (call key, its queue entry, this instance's own call): True when the call was adopted
Adopt = Callable[[str, CallRecord | None, bool], Awaitable[bool]]


class Recovery:
    """The lease heartbeat, the owned set, and the reclaiming of expired leases."""

    def __init__(
        self,
        store: RedisQueueStore,
        rest: AriRest,
        clock: Clock,
        *,
        instance: str,
        holds: Callable[[str], bool],
        close_lost: CloseLost,
        adopt: Adopt | None = None,
    ) -> None:
        # The lease waits on this process's beats (real time, however fast the clock runs):
        # at 20x a 10 s lease was 0.5 s of wall time, and a starved test process lost it and
        # had its live calls reclaimed by the other instance.
        lease_s = margin_s(clock, LEASE_S, LEASE_WALL_S)
        self.leases = Leases(store.client, instance, prefix=store.prefix, lease_s=lease_s)
        self._store = store
        self._rest = rest
        self._clock = clock
        self._holds = holds
        self._close_lost = close_lost
        self._adopt = adopt
        self._own_pending = False  # own leftovers still to settle (retried every beat)
        self._beating = asyncio.Lock()
        self._ops: asyncio.Queue[tuple[bool, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._failing = False
        self.reclaimed: list[str] = []  # call keys reclaimed by this instance (tests, logs)
        self.adopted: list[str] = []  # call keys adopted instead

    async def start(self) -> None:
        """Renew the lease, settle expired leases (and this instance's own leftovers, unless
        an `adopt` hook waits for the first connection: `connected`), then beat on."""
        self._own_pending = self._adopt is None
        await self._beat_logged()
        self._tasks = [
            asyncio.create_task(self._beat_forever(), name="lease-beat"),
            asyncio.create_task(self._apply_ops(), name="lease-owned"),
        ]

    async def aclose(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
        with contextlib.suppress(QueueStoreError):
            await self.leases.release()

    async def settle_own(self) -> None:
        """Settle (adopt or reclaim) this instance's own leftovers now; retried every beat
        until done. Called from the router's first connection: survivors can be adopted."""
        self._own_pending = True
        await self._beat_logged()

    async def connected(self, reconnect: bool) -> None:
        """The router's connection hook: on the first connection, `settle_own`."""
        if not reconnect:
            await self.settle_own()

    def own(self, key: str) -> None:
        self._ops.put_nowait((True, key))

    def disown(self, key: str) -> None:
        self._ops.put_nowait((False, key))

    async def _apply_ops(self) -> None:
        while True:
            owned, key = await self._ops.get()
            try:
                await (self.leases.own(key) if owned else self.leases.disown(key))
            except QueueStoreError as exc:
                log.warning("call=%s ownership not recorded: %s", key, exc)

    async def _beat_forever(self) -> None:
        while not self._stopping.is_set():
            await self._clock.sleep(RENEW_EVERY_S)
            await self._beat_logged()

    async def _beat_logged(self, *, own_leftovers: bool = False) -> None:
        try:
            async with self._beating:  # the beat task and `settle_own` never overlap
                await self.beat(own_leftovers=own_leftovers)
        except (QueueStoreError, AriError) as exc:
            if not self._failing:
                self._failing = True
                log.warning("lease beat failed (retrying every beat): %s", exc)
            return
        if self._failing:
            self._failing = False
            log.warning("lease beat works again")

    async def beat(self, *, own_leftovers: bool = False) -> None:
        """Renew the lease; reclaim own leftovers (at start) and expired instances' calls."""
        now = self._clock.now_s()
        await self.leases.renew(now)
        if own_leftovers or self._own_pending:
            await self.reclaim(self.leases.instance, now)
            self._own_pending = False
        for dead in await self.leases.expired(now):
            await self.reclaim(dead, now)

    async def reclaim(self, instance: str, now_s: float) -> list[str]:
        """Take over and settle the calls `instance` owned (see the module docstring)."""
        keys = await self.leases.take(instance, now_s)
        if keys:
            log.warning("reclaiming %d calls of instance=%s", len(keys), instance)
        for key in keys:
            await self._settle(key, instance)
        return keys

    async def _settle(self, key: str, instance: str) -> None:
        if self._holds(key):
            await self.leases.own(key)  # running here (adopted meanwhile): still ours
            return
        record = await self._store.get_call(CallKey(key))
        own = instance == self.leases.instance
        if self._adopt is not None and await self._adopt(key, record, own):
            await self.leases.own(key)
            self.adopted.append(key)
            if record is not None and record.callback_number:  # the requester's row: over
                self._close_lost(key, "recovered")
                self.reclaimed.append(key)
            return
        cause = "recovered"
        await self._hang_up_if_up(key)
        record = await self._store.get_call(CallKey(key))  # again: hanging up may change it
        now = self._clock.now_s()
        if record is not None:
            agent = record.agent_id
            if record.state is QueueCallState.CONNECTED:
                await self._store.end_call(CallKey(key), now)
            elif record.callback_number and record.state is QueueCallState.WAITING:
                await self.leases.own(key)  # kept in line for its turn
                log.warning("call=%s callback kept in line (not dialled from here)", key)
            else:
                await self._store.remove_call(CallKey(key), QueueResult.LOST, now)
            if agent:
                await self._recovered(agent, now)
        self._close_lost(key, cause)
        self.reclaimed.append(key)
        log.warning("call=%s of instance=%s reclaimed", key, instance)

    async def _hang_up_if_up(self, key: str) -> None:
        """Hang up the caller's channel and every leg of the call still up (ours by their
        names: `agent-<key>-<n>`, `callback-<key>`, `<key>-...` snoops and media)."""
        for channel in await self._rest.list_channels():
            cid = channel.id
            if (
                cid == key
                or cid.startswith((f"agent-{key}-", f"{key}-"))
                or cid == f"callback-{key}"
            ):
                with contextlib.suppress(ChannelGone):
                    await self._rest.hangup(ChannelId(cid))

    async def _recovered(self, agent: str, now_s: float) -> None:
        record = await self._store.get_agent(AgentId(agent))
        if record is None or record.state in FREE:
            return
        with contextlib.suppress(QueueStoreError):
            await self._store.set_not_ready(record.agent_id, "recovered", now_s)
