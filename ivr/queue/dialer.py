"""The agent dialer: which agent rings for which of this process's calls, and how legs are
dialled.

`Router` is one task per process. Each pass asks the store to release offers past their ring
time and `OFFER_GRACE_S` (`store.reap`; each released call is handed to `reaped`), then matches
the ready agents with every waiting call (`queueing.policy.pick` over `store.snapshot`: all
instances' calls, so priority and waiting time count across instances), keeps the pairs of the
calls held here that want one (`wanting`, kept by the hand-off), reserves them atomically
(`store.reserve`) and hands each won offer to `offered`. Several processes may route at once:
agents are shared and reserved atomically in Redis (never two calls for one agent), and each
process dials only for the calls it holds (it has their channels).

`Dialer` originates the legs into our Stasis app, tagged in `appArgs` with the call key:
`agent,<key>` for an agent (ringing for the offer's time), `callback,<key>` for a callback
requester (dial string from the `outbound_dial` template, e.g. `PJSIP/{number}`, filled only
with a number `ivr.engine.phones` validated: anything else is not dialled).

Rules: a pass runs when woken (`wake()`) or every `ROUTE_INTERVAL_S` of clock time (the
reaper at most that often: a busy router is woken many times a second); a store
outage is logged once when it starts and once when it ends (`ivr.outage`), the passes
meanwhile backing off; `aclose` stops the task within a bounded wait.
A leg that ARI refuses to originate is answered with `AgentDialFailed`/`ClientDialFailed`
(`dial_failed`) for the lifecycle to decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping

from ivr.ari import AriError, AriRest
from ivr.clock import Clock
from ivr.engine.phones import InvalidPhone, dial_string
from ivr.outage import Outage
from ivr.queue.waiting import AgentDialFailed, AgentLeg, ClientDialFailed, DialAgent, DialClient
from queueing.errors import QueueStoreError
from queueing.model import Offer
from queueing.policy import pick
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

ROUTE_INTERVAL_S = 0.5  # clock seconds between router passes when nothing wakes it
FOREIGN_GRACE_S = 2.0  # clock seconds an agent waits for another instance's better call
# Clock seconds the store keeps an offer past the end of its ring before a reaper releases it.
# The switch ends the ring itself and the owning instance records the outcome (answer, no
# answer); the reaper is only the safety net for an outcome lost. With no margin the reaper
# raced a ring answered near its end, or an answer still on its way on a loaded machine: the
# call went back in line while its caller talked to the agent (`StoreAnswer not recorded`).
OFFER_GRACE_S = 10.0
# Clock seconds past an offer's deadline before ANY instance releases it when no instance
# reports its agent leg still ringing (`reap(ringing=...)`): answered and being bridged, a
# callback's client ringing (up to `CALLBACK_RING_S`), or an owner gone silent. A dead owner's
# calls are reclaimed earlier by the lease recovery (`ivr.queue.recovery`).
SILENT_OWNER_S = 60.0
# Each margin above waits for another party's processing (an instance's event loop, its Redis
# and ARI round trips), which takes real time however fast the clock runs: never less than
# this many wall seconds (the tests run the clock 20x; at speed 1 the clock margins rule).
MARGIN_WALL_S = 2.0
CALLBACK_RING_S = 30  # how long a callback requester's phone rings
STOP_TIMEOUT_S = 2.0  # wall seconds `aclose` waits for the router task


def margin_s(clock: Clock, clock_s: float, wall_s: float = MARGIN_WALL_S) -> float:
    """A processing margin of `clock_s` clock seconds, at least `wall_s` of wall time."""
    return max(clock_s, wall_s * clock.speed)


class Router:
    """Reaps stale offers and reserves agents for the calls this process holds."""

    def __init__(
        self,
        store: RedisQueueStore,
        clock: Clock,
        *,
        wanting: Mapping[str, str],
        ringing: Collection[str] = frozenset(),
        offered: Callable[[Offer], Awaitable[None]],
        reaped: Callable[[str], Awaitable[None]],
    ) -> None:
        self._store = store
        self._clock = clock
        self._wanting = wanting  # call key -> queue: calls held here that want an agent (live)
        self._ringing = ringing  # calls held here whose agent leg still rings (live)
        self._offered = offered
        self._reaped = reaped
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._left_for_others: dict[str, float] = {}  # agent -> since when it waits for them
        self._reaped_at = float("-inf")  # clock time of the last reaper pass

    def start(self) -> None:
        self._task = asyncio.create_task(self._route_forever(), name="queue-router")

    def wake(self) -> None:
        self._wake.set()

    async def aclose(self) -> None:
        # A stop flag, not only cancel(): on Python 3.11 a cancel that lands as the
        # router's `asyncio.timeout` expires is swallowed as a timeout.
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)
            if not done:
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)

    async def _route_forever(self) -> None:
        outage = Outage("queue router")
        while not self._stopping:
            try:
                await self.route_once()
                outage.ok()
            except QueueStoreError as exc:
                outage.failed(exc)
            pause_s = outage.pause_s(self._clock.wall_seconds(ROUTE_INTERVAL_S))
            with contextlib.suppress(TimeoutError):  # a swallowed cancel: `_stopping` ends it
                async with asyncio.timeout(pause_s):
                    await self._wake.wait()
            self._wake.clear()

    async def route_once(self) -> None:
        now = self._clock.now_s()
        if now - self._reaped_at >= ROUTE_INTERVAL_S:  # not on every wake: deadlines are coarse
            self._reaped_at = now
            grace_s = margin_s(self._clock, SILENT_OWNER_S)
            reaped = await self._store.reap(now, ringing=list(self._ringing), grace_s=grace_s)
            for call_id in reaped.released:
                await self._reaped(str(call_id))
                self._wake.set()
        for offer in await self._reserve_mine(now):
            await self._offered(offer)

    async def _reserve_mine(self, now: float) -> list[Offer]:
        """`store.route`, restricted to the calls held here that want an agent. The agents are
        matched against every waiting call of every instance, so an agent goes to the call
        that waited longest (or ranks higher) wherever it is held; this instance reserves
        only its own calls' pairs (the other instance reserves its own on its next pass). An
        agent left for another instance's call longer than `FOREIGN_GRACE_S` (that instance
        is stuck or gone, and not yet reclaimed) is matched with the calls held here. Each margin
        is `margin_s`: at least `MARGIN_WALL_S` of wall time. The wait is watched pass by pass:
        a pass that does not see the agent free and left for others starts it again (a stale
        start made an agent freed minutes later go at once to a younger call held here)."""
        if not self._wanting:
            self._left_for_others.clear()
            return []
        calls, agents = await self._store.snapshot(now)
        held = self._wanting
        if not agents or not any(str(c.call_id) in held for c in calls):
            self._left_for_others.clear()
            return []
        config, free = self._store.config, [a for a, _ in agents]
        pairs = pick(config, calls, free, now)
        mine = [p for p in pairs if str(p.call_id) in held]
        foreign = {str(p.agent_id) for p in pairs if str(p.call_id) not in held}
        since = {a: self._left_for_others.get(a, now) for a in foreign}
        self._left_for_others = since
        patience_s = margin_s(self._clock, FOREIGN_GRACE_S)
        stale = {a for a, t in since.items() if now - t >= patience_s}
        if stale:
            taken = {p.call_id for p in mine}
            waiting = [c for c in calls if str(c.call_id) in held and c.call_id not in taken]
            mine += pick(config, waiting, [a for a in free if str(a.agent_id) in stale], now)
        endpoints = {a.agent_id: endpoint for a, endpoint in agents}
        queues, grace_s = config.queues, margin_s(self._clock, OFFER_GRACE_S)
        proposals = [
            Offer(
                pair.call_id,
                pair.agent_id,
                endpoints[pair.agent_id],
                held[str(pair.call_id)],
                now + queues[held[str(pair.call_id)]].ring_timeout_s + grace_s,
            )
            for pair in mine
        ]
        return await self._store.reserve(proposals, now)


class Dialer:
    """Originates agent and callback legs into our Stasis app."""

    def __init__(self, rest: AriRest, clock: Clock, *, app: str, outbound_dial: str) -> None:
        self._rest = rest
        self._clock = clock
        self._app = app
        self._outbound_dial = outbound_dial  # how a callback requester is dialled
        self._seq = itertools.count(1)

    def leg_for(self, offer: Offer) -> tuple[AgentLeg, int]:
        """A new agent leg for `offer`, and its ring time in whole seconds (at least 1): up to
        the offer's deadline less the reaper's margin (`OFFER_GRACE_S`)."""
        leg = AgentLeg(f"agent-{offer.call_id}-{next(self._seq)}", offer.agent_id)
        ring_end = offer.deadline_s - margin_s(self._clock, OFFER_GRACE_S)
        return leg, max(1, round(ring_end - self._clock.now_s()))

    async def dial_agent(self, key: str, action: DialAgent) -> AgentDialFailed | None:
        agent = action.leg.agent_id
        try:
            await self._rest.originate(
                action.endpoint,
                app=self._app,
                app_args=f"agent,{key}",
                caller_id=action.caller_id or None,
                timeout_s=action.ring_s,
                channel_id=action.leg.channel_id,
            )
        except AriError as exc:
            log.warning("dialing agent=%s failed: %s", agent, exc)
            return AgentDialFailed(action.leg.channel_id, "dial_failed")
        log.info("ringing agent=%s endpoint=%s", agent, action.endpoint)
        return None

    async def dial_client(self, key: str, action: DialClient) -> ClientDialFailed | None:
        try:
            endpoint = dial_string(self._outbound_dial, action.number)  # validated numbers only
        except InvalidPhone as exc:
            log.error("callback not dialled: the number is not valid (%s)", exc)
            return ClientDialFailed(action.leg, "invalid_number")
        try:
            await self._rest.originate(
                endpoint,
                app=self._app,
                app_args=f"callback,{key}",
                timeout_s=CALLBACK_RING_S,
                channel_id=action.leg,
            )
        except AriError as exc:
            log.error("callback dial failed: %s", exc)
            return ClientDialFailed(action.leg, "dial_failed")
        log.info("calling back the client")
        return None
