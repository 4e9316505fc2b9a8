"""Redis queue store: waiting calls, agents, atomic reservations, events, stats.

Rules: all state lives in Redis (an app restart loses nothing; with AOF on, a Redis restart
neither). Every change that must not race runs in ONE Lua script (`queueing/lua/*.lua`, each
prefixed by `lib.lua`), so any number of app processes can share a store: a reservation wins
only if the call is still waiting and the agent still ready. Time is injected (`now_s`
arguments, passed to Lua as ARGV; no clock is read here or in Lua). Decisions come from the
pure `queueing.policy`; this module fetches the facts, applies the decision, and reports the
reservations actually won (a stale pair simply loses and the caller routes again). A refusal
is a typed `QueueStoreError` (`AgentBusy`, `NotOffered`, ...: `queueing.errors`); Redis itself
failing is `StoreUnavailable` after the bounded waits of `queueing.connection`. Hash rows are
decoded by `queueing.rows`.

Keys (prefix `P`, default `ivr:`; tests use one prefix per test):
  P call:<id>            hash  call_id queue priority state enqueued_at_s order_at_s agent_id
                               offered_at_s answered_at_s info(json)
  P q:<queue>:<class>    zset  waiting calls of one class, score = policy.queue_rank()
  P q:<queue>:since      zset  waiting calls by first enqueue time (longest wait, count)
  P agent:<id>           hash  agent_id name endpoint skills(json) state reason state_since_s
                               calls_handled last_call_end_s last_offer_s call_id unanswered
  P agents / agents:ready set  every agent / agents in state ready
  P offers / wrapups     zset  call -> ring deadline / agent -> wrap-up end (the reaper's work)
  P handle_times:<queue> list  recent handle times (estimated wait)
  P stats:<queue>:<day>  hash  entered answered answered_in_sl answered_wait_s abandoned ...
  P events               stream  every queue and agent change (XADD MAXLEN ~)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType
from typing import Any

import redis.asyncio as aioredis

from queueing import policy, rows
from queueing.connection import (
    LOADING_WAIT_S,
    close_client,
    load_scripts,
    redis_client,
    redis_errors,
)
from queueing.definitions import PriorityClass, QueueConfig, QueueDef
from queueing.errors import (
    AgentBusy,
    AgentLoggedIn,
    AgentNotFound,
    CallAlreadyQueued,
    CallNotConnected,
    CallNotFound,
    CallNotWaiting,
    NotOffered,
    StateNotSettable,
    UnknownQueue,
)
from queueing.loader import did_you_mean
from queueing.model import (
    AgentProfile,
    AgentRecord,
    AgentState,
    CallerView,
    CallRecord,
    Offer,
    QueueCallState,
    QueueEvent,
    QueueResult,
    QueueStats,
    ReapResult,
)
from queueing.policy import AgentId, Assignment, CallKey, FreeAgent, WaitingCall

log = logging.getLogger(__name__)


def day_of(now_s: float, zone: tzinfo) -> str:
    """The statistics day (`YYYY-MM-DD`) of `now_s` in `zone`."""
    return datetime.fromtimestamp(now_s, zone).date().isoformat()


class RedisQueueStore:
    """The queue store on one Redis (see the module docstring for keys and rules)."""

    def __init__(
        self,
        client: aioredis.Redis,
        config: QueueConfig,
        *,
        prefix: str = "ivr:",
        events_maxlen: int = 10_000,
        day_zone: tzinfo = UTC,
        handle_times_kept: int = 50,
    ) -> None:
        self.client = client
        self.config = config
        self.prefix = prefix
        self.events_maxlen = events_maxlen
        self.day_zone = day_zone
        self.handle_times_kept = handle_times_kept
        self._scripts = load_scripts(client)

    @classmethod
    def from_url(
        cls,
        url: str,
        config: QueueConfig,
        *,
        socket_timeout_s: float = 5.0,
        loading_wait_s: float = LOADING_WAIT_S,
        **options: Any,
    ) -> RedisQueueStore:
        """A store on a new client for `url` (`redis://`, `unix://`): a socket deadline, and a
        bounded wait while Redis loads its dataset (`queueing.connection`)."""
        client = redis_client(url, socket_timeout_s=socket_timeout_s, loading_wait_s=loading_wait_s)
        return cls(client, config, **options)

    async def close(self) -> None:
        await close_client(self.client)

    # -- plumbing --------------------------------------------------------------------------
    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def _run(self, name: str, now_s: float, *args: str | float | int) -> Any:
        base: list[str | float | int] = [self.prefix, repr(float(now_s)), self.events_maxlen]
        async with redis_errors(name):
            return await self._scripts[name](keys=[self.key("events")], args=[*base, *args])

    def _rules_args(self) -> list[float]:
        rules = self.config.routing
        points = rules.class_points
        return [rules.aging_weight, points[PriorityClass.VIP], points[PriorityClass.NORMAL]]

    def _queue(self, name: str) -> QueueDef:
        queue = self.config.queues.get(name)
        if queue is None:
            raise UnknownQueue(name, did_you_mean(name, sorted(self.config.queues)))
        return queue

    # -- agents ----------------------------------------------------------------------------
    async def add_agent(self, profile: AgentProfile, now_s: float) -> None:
        """Create or update an agent's profile; a new agent starts `logged_out`."""
        key = self.key("agent", profile.agent_id)
        skills = json.dumps(dict(profile.skills), sort_keys=True)
        fields = ["agent_id", profile.agent_id, "name", profile.name]
        fields += ["endpoint", profile.endpoint, "skills", skills]
        async with redis_errors("add_agent"), self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, items=fields)
            pipe.hsetnx(key, "state", AgentState.LOGGED_OUT.value)
            pipe.hsetnx(key, "state_since_s", repr(float(now_s)))
            pipe.sadd(self.key("agents"), profile.agent_id)
            pipe.xadd(
                self.key("events"),
                {"type": "agent_saved", "at": repr(float(now_s)), "agent_id": profile.agent_id},
                maxlen=self.events_maxlen,
                approximate=True,
            )
            await pipe.execute()

    async def get_agent(self, agent_id: AgentId) -> AgentRecord | None:
        async with redis_errors("get_agent"):
            values = await self.client.hmget(self.key("agent", agent_id), list(rows.AGENT_FIELDS))
        return rows.agent_record(rows.texts(values))

    async def list_agents(self) -> list[AgentRecord]:
        """Every agent, ordered by id."""
        async with redis_errors("list_agents"):
            ids = sorted(str(i) for i in await self.client.smembers(self.key("agents")))
            records = await self._agents(ids)
        return [r for r in records if r is not None]

    async def _agents(self, ids: Sequence[str]) -> list[AgentRecord | None]:
        async with self.client.pipeline(transaction=False) as pipe:
            for agent_id in ids:
                pipe.hmget(self.key("agent", agent_id), list(rows.AGENT_FIELDS))
            replies = await pipe.execute()
        return [rows.agent_record(rows.texts(row)) for row in replies]

    async def login(self, agent_id: AgentId, now_s: float, *, ready: bool = False) -> None:
        """Log in: `not_ready(login)`, or `ready` at once."""
        if ready:
            await self.set_state(agent_id, AgentState.READY, "", now_s)
        else:
            await self.set_state(agent_id, AgentState.NOT_READY, "login", now_s)

    async def logout(self, agent_id: AgentId, now_s: float) -> None:
        await self.set_state(agent_id, AgentState.LOGGED_OUT, "", now_s)

    async def remove_agent(self, agent_id: AgentId, now_s: float) -> None:
        """Delete an agent; refused (`AgentLoggedIn`) unless it is logged out."""
        answer = await self._run("remove_agent", now_s, agent_id)
        if answer == "unknown":
            raise AgentNotFound(agent_id)
        if answer == "logged_in":
            raise AgentLoggedIn(agent_id)
        log.info("agent removed agent=%s", agent_id)

    async def set_ready(self, agent_id: AgentId, now_s: float) -> None:
        await self.set_state(agent_id, AgentState.READY, "", now_s)

    async def set_not_ready(self, agent_id: AgentId, reason: str, now_s: float) -> None:
        await self.set_state(agent_id, AgentState.NOT_READY, reason, now_s)

    async def set_state(
        self, agent_id: AgentId, state: AgentState, reason: str, now_s: float
    ) -> None:
        """Change an agent's own state; refused while it is reserved or on a call."""
        if state not in (AgentState.LOGGED_OUT, AgentState.READY, AgentState.NOT_READY):
            raise StateNotSettable(state)
        answer = await self._run("agent_state", now_s, agent_id, state.value, reason)
        if answer == "unknown":
            raise AgentNotFound(agent_id)
        if answer == "busy":
            raise AgentBusy(agent_id)
        log.info("agent state agent=%s state=%s reason=%s", agent_id, state.value, reason)

    async def ready_agents(self) -> list[AgentRecord]:
        """Agents in state ready, ordered by id."""
        async with redis_errors("ready_agents"):
            ready = await self.client.smembers(self.key("agents:ready"))
            ids = sorted(str(i) for i in ready)
            records = await self._agents(ids)
        return [r for r in records if r is not None and r.state is AgentState.READY]

    # -- calls -----------------------------------------------------------------------------
    async def enqueue(
        self,
        call_id: CallKey,
        queue: str,
        priority: PriorityClass,
        now_s: float,
        info: Mapping[str, str] | None = None,
    ) -> WaitingCall:
        """Put a call in line; `info` (screen-pop facts, no secrets) rides with it."""
        definition = self._queue(queue)
        rank = policy.queue_rank(priority, now_s, self.config.routing)
        day = day_of(now_s, self.day_zone)
        args = (call_id, queue, priority.value, repr(float(now_s)), repr(rank), day)
        settings = (definition.service_level.within_s, definition.wrap_up_s)
        info_json = json.dumps(dict(info or {}))
        done = await self._run("enqueue", now_s, *args, info_json, *settings)
        if done != 1:
            raise CallAlreadyQueued(call_id)
        log.info("queued call=%s queue=%s priority=%s", call_id, queue, priority.value)
        return WaitingCall(call_id, queue, priority, now_s)

    async def get_call(self, call_id: CallKey) -> CallRecord | None:
        async with redis_errors("get_call"):
            values = await self.client.hmget(self.key("call", call_id), list(rows.RECORD_FIELDS))
        return rows.call_record(rows.texts(values))

    async def waiting_calls(
        self, queues: Iterable[str] | None = None, *, limit_per_class: int = 50
    ) -> list[WaitingCall]:
        """The first `limit_per_class` waiting calls of each class of each queue, best first."""
        names = list(self.config.queues if queues is None else queues)
        async with redis_errors("waiting_calls"):
            async with self.client.pipeline(transaction=False) as pipe:
                for name in names:
                    for cls in PriorityClass:
                        pipe.zrange(self.key("q", name, cls.value), 0, limit_per_class - 1)
                heads = await pipe.execute()
            ids = [c for head in heads for c in head]
            async with self.client.pipeline(transaction=False) as pipe:
                for call_id in ids:
                    pipe.hmget(self.key("call", call_id), list(rows.CALL_FIELDS))
                replies = await pipe.execute()
        calls = [rows.waiting_call(rows.texts(row)) for row in replies]
        found = [c for c in calls if c is not None]
        return policy.call_order(found, self.config.routing)

    # -- routing ---------------------------------------------------------------------------
    async def route(self, now_s: float, *, limit_per_class: int = 50) -> list[Offer]:
        """Decide with `policy.pick` on fresh facts and reserve atomically; the offers won.

        Two round trips: one read-only snapshot script, one reservation script. A pair made
        stale meanwhile by another process simply loses; call `route` again.
        """
        calls, agents = await self.snapshot(now_s, limit_per_class=limit_per_class)
        if not calls or not agents:
            return []
        endpoints = {a.agent_id: endpoint for a, endpoint in agents}
        by_id = {c.call_id: c for c in calls}
        proposals = [
            self._offer(by_id[pair.call_id], pair, endpoints[pair.agent_id], now_s)
            for pair in policy.pick(self.config, calls, [a for a, _ in agents], now_s)
        ]
        return await self.reserve(proposals, now_s)

    async def snapshot(
        self, now_s: float, *, limit_per_class: int = 50
    ) -> tuple[list[WaitingCall], list[tuple[FreeAgent, str]]]:
        """The first waiting calls of each class of each queue, and every ready agent with
        its endpoint, read in one atomic script (no calls when no agent is ready)."""
        queues = list(self.config.queues)
        facts = json.loads(await self._run("snapshot", now_s, limit_per_class, *queues))
        raw_calls, raw_agents = facts["calls"] or [], facts["agents"] or []  # {} when empty
        rules = self.config.routing  # (JSON strings: no reply decoding needed)
        call_width, agent_width = rows.SNAPSHOT_CALL_WIDTH, rows.SNAPSHOT_AGENT_WIDTH
        calls = [
            rows.snapshot_call(rules, raw_calls[i : i + call_width])
            for i in range(0, len(raw_calls), call_width)
        ]
        agents = [
            rows.snapshot_agent(raw_agents[i : i + agent_width])
            for i in range(0, len(raw_agents), agent_width)
        ]
        return calls, agents

    def _offer(self, call: WaitingCall, pair: Assignment, endpoint: str, now_s: float) -> Offer:
        ring_s = self.config.queues[call.queue].ring_timeout_s
        return Offer(pair.call_id, pair.agent_id, endpoint, call.queue, now_s + ring_s)

    async def reserve(self, proposals: Sequence[Offer], now_s: float) -> list[Offer]:
        """Reserve each proposed agent for its call in one atomic script; the ones won."""
        if not proposals:
            return []
        args: list[str] = []
        for offer in proposals:
            args += [offer.call_id, offer.agent_id, repr(float(offer.deadline_s))]
        results = await self._run("reserve", now_s, *args)
        won = [offer for offer, ok in zip(proposals, results, strict=True) if ok == 1]
        for offer in won:
            log.info("offered call=%s agent=%s", offer.call_id, offer.agent_id)
        return won

    async def answer(self, call_id: CallKey, agent_id: AgentId, now_s: float) -> None:
        """The agent answered its offer: call connected, agent on_call, stats counted."""
        day = day_of(now_s, self.day_zone)
        outcome = await self._run("answer", now_s, call_id, agent_id, day)
        if outcome == "unknown":
            raise CallNotFound(call_id)
        if outcome != "ok":
            raise NotOffered(call_id, agent_id)
        log.info("answered call=%s agent=%s", call_id, agent_id)

    async def no_answer(
        self, call_id: CallKey, agent_id: AgentId, now_s: float, *, reason: str = "no_answer"
    ) -> None:
        """The offer failed: the call goes back to the head of its class (same wait)."""
        max_missed = self.config.routing.max_unanswered_offers
        args = self._rules_args()
        answer = await self._run("release", now_s, call_id, agent_id, max_missed, *args, reason)
        if answer != "ok":
            raise NotOffered(call_id, agent_id)
        log.info("requeued call=%s agent=%s reason=%s", call_id, agent_id, reason)

    async def end_call(self, call_id: CallKey, now_s: float) -> None:
        """A connected call ended: handle time recorded, agent to wrap-up (or ready)."""
        done = await self._run("end_call", now_s, call_id, self.handle_times_kept)
        if done != "ok":
            raise CallNotConnected(call_id)
        log.info("call ended call=%s", call_id)

    async def request_callback(self, call_id: CallKey, number: str, now_s: float) -> None:
        """The caller hangs up but keeps the place in line: call `number` back when offered."""
        if await self._run("callback", now_s, call_id, number) != 1:
            raise CallNotWaiting(call_id)
        log.info("callback requested call=%s", call_id)

    async def remove_call(
        self, call_id: CallKey, outcome: QueueResult, now_s: float
    ) -> QueueCallState | None:
        """A call left unanswered (hangup, timeout, exit). Its former state, None if unknown.

        A connected call is left as is (returns CONNECTED): end it with `end_call`.
        """
        day = day_of(now_s, self.day_zone)
        state = await self._run("remove", now_s, call_id, outcome.value, day)
        if not state:
            return None
        log.info("left queue call=%s outcome=%s was=%s", call_id, outcome.value, state)
        return QueueCallState(state)

    async def reap(
        self, now_s: float, *, limit: int = 100, ringing: Iterable[str] = (), grace_s: float = 0
    ) -> ReapResult:
        """Release offers past their ring deadline; end wrap-ups that are over. `ringing`: the
        calls an instance holds whose agent leg still rings, released at the deadline; any
        other offer (another instance's, or one answered and being bridged) only `grace_s`
        later: its owner records the outcome, the reaper is the net for an owner gone silent."""
        max_missed = self.config.routing.max_unanswered_offers
        args: list[str | float | int] = [max_missed, *self._rules_args(), limit, grace_s]
        released, readied = await self._run("reap", now_s, *args, *ringing)
        if released:
            log.warning("unanswered offers released calls=%s", ",".join(released))
        return ReapResult(tuple(map(CallKey, released)), tuple(map(AgentId, readied)))

    # -- caller and supervisor views -------------------------------------------------------
    async def caller_view(self, call_id: CallKey, now_s: float) -> CallerView | None:
        """Position (1-based, in its own queue), wait, estimated wait, exits; None if gone."""
        call = await self.get_call(call_id)
        if call is None or call.state is not QueueCallState.WAITING:
            return None
        queue = self.config.queues[call.queue]
        rank = policy.queue_rank(call.priority, call.order_at_s, self.config.routing)
        async with redis_errors("caller_view"):
            async with self.client.pipeline(transaction=False) as pipe:
                for cls in PriorityClass:
                    pipe.zcount(self.key("q", call.queue, cls.value), "-inf", f"({rank!r}")
                pipe.lrange(self.key("handle_times", call.queue), 0, -1)
                *ahead, times = await pipe.execute()
            agents = await self.list_agents()
        position = 1 + sum(int(n) for n in ahead)
        serving = sum(1 for a in agents if _serves(a, queue.skills))
        waited_s = now_s - call.enqueued_at_s
        estimate = policy.estimated_wait_s(position, [float(t) for t in times], serving)
        return CallerView(position, waited_s, estimate, policy.exit_options(queue, waited_s))

    async def queue_stats(self, queue: str, now_s: float) -> QueueStats:
        """Live figures and today's counters of one queue."""
        definition = self._queue(queue)
        day = day_of(now_s, self.day_zone)
        async with redis_errors("queue_stats"):
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.zcard(self.key("q", queue, "since"))
                pipe.zrange(self.key("q", queue, "since"), 0, 0, withscores=True)
                pipe.hgetall(self.key("stats", queue, day))
                size, oldest, counters = await pipe.execute()
            agents = await self.list_agents()
        by_state = {s: 0 for s in AgentState}
        for agent in agents:
            if policy.has_skills(agent.profile.skills, definition.skills):
                by_state[agent.state] += 1
        longest_s = now_s - float(oldest[0][1]) if oldest else 0.0
        return rows.queue_stats(queue, int(size), longest_s, by_state, counters)

    async def events(self, *, after: str = "0", count: int = 100) -> list[QueueEvent]:
        """Stream entries after id `after` (exclusive), oldest first."""
        start = "-" if after == "0" else f"({after}"
        async with redis_errors("events"):
            entries = await self.client.xrange(self.key("events"), min=start, count=count)
        out: list[QueueEvent] = []
        for event_id, raw in entries or []:
            fields = {str(rows.text(k)): str(rows.text(v)) for k, v in (raw or {}).items()}
            out.append(
                QueueEvent(
                    str(rows.text(event_id)), fields.get("type", ""), MappingProxyType(fields)
                )
            )
        return out


def _serves(agent: AgentRecord, skills: Mapping[str, int]) -> bool:
    logged_in = agent.state is not AgentState.LOGGED_OUT
    return logged_in and policy.has_skills(agent.profile.skills, skills)
