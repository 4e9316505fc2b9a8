"""Live messages for agent websockets: call offers with a screen pop, and state changes.

`AgentFeed` tails the queue store's event stream (`RedisQueueStore.events(after=...)`), so an
offer reserved by ANY app process reaches the agent's websocket in this one. One tail task per
process fans entries out to per-agent subscriptions; it starts with the first subscriber, at
the stream's end, and stops with `aclose()`.

Rules:
- `screen_pop` is pure: the queued call's `info` (set by the session at enqueue) in, the
  agent-facing fields out. The account is masked (last 4 digits), and keys that name a secret
  (pin, password, token...) never leave the server. `verified` is true only when the flow
  said `verified: yes`; `reason` says why the caller is here (`pin_locked`,
  `verification_incomplete`, `emergency_order`, ...).
- A subscriber that does not keep up loses its oldest messages (logged), never blocks the tail.
- The tail survives store errors: an outage is logged once when it starts and once when it
  ends (`ivr.outage`), the reads meanwhile backing off; no tracebacks.
- Nobody subscribed: the tail reads nothing; the next subscriber fixes a new tail position.
- Its waits are `asyncio.timeout`s on `_closing`: a cancel swallowed there (3.11) is harmless,
  `aclose` sets `_closing` first and re-cancels until the task is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from ivr.engine.masking import mask_account as engine_mask_account
from ivr.outage import Outage
from queueing.config import PriorityClass
from queueing.errors import QueueingError
from queueing.model import AgentRecord, CallRecord, QueueEvent
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

Message = dict[str, Any]

POP_FIELDS = ("caller", "account", "vip_tier", "language", "ivr_path", "intent", "priority",
              "verified", "reason")  # fmt: skip
_SECRET_KEY = re.compile(r"pin|password|passwd|secret|token|cvv", re.IGNORECASE)
_TRUE = frozenset({"1", "true", "yes", "y", "on"})
SUBSCRIBER_BACKLOG = 100
CLOSE_TIMEOUT_S = 2.0


def mask_account(account: str | None) -> str | None:
    """`****5678` for an account number (`ivr.engine.masking`); None for none."""
    return engine_mask_account(account) if account else None


def _json_or_text(value: str | None) -> Any:
    if value is None or value == "":
        return None
    if value[:1] in "[{":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def screen_pop(call: CallRecord, now_s: float) -> Message:
    """What the agent sees when a call is offered (pure)."""
    info = dict(call.info)
    emergency = call.priority is PriorityClass.EMERGENCY or (
        info.get("emergency", "").lower() in _TRUE
    )
    extra = {
        k: v
        for k, v in info.items()
        if k not in POP_FIELDS and k not in ("order", "emergency") and not _SECRET_KEY.search(k)
    }
    return {
        "call_id": call.call_id,
        "queue": call.queue,
        "caller": info.get("caller") or None,
        "account": mask_account(info.get("account")),
        "vip_tier": info.get("vip_tier") or None,
        "language": info.get("language") or None,
        "ivr_path": _json_or_text(info.get("ivr_path")),
        "intent": info.get("intent") or None,
        "wait_s": round(max(0.0, now_s - call.enqueued_at_s), 1),
        "priority": call.priority.value,
        "emergency": emergency,
        "verified": info.get("verified", "").strip().lower() in _TRUE,
        "reason": info.get("reason") or None,
        "callback": call.callback_number,  # set: the client asked to be called back on it
        "order": _json_or_text(info.get("order")),
        "extra": extra,
    }


def state_message(agent: AgentRecord, now_s: float) -> Message:
    return {
        "type": "state",
        "agent_id": agent.agent_id,
        "state": agent.state.value,
        "reason": agent.reason,
        "call_id": agent.call_id,
        "time_in_state_s": round(max(0.0, now_s - agent.state_since_s), 1),
    }


def offer_message(call: CallRecord, ring_timeout_s: float | None, now_s: float) -> Message:
    return {
        "type": "offer",
        "call_id": call.call_id,
        "queue": call.queue,
        "ring_timeout_s": ring_timeout_s,
        "screen_pop": screen_pop(call, now_s),
    }


_CALL_EVENTS = {"call_answered": "answered", "call_ended": "ended", "call_requeued": "requeued"}


@dataclass(eq=False)
class Subscription:
    """Messages for one agent's websocket, oldest first."""

    agent_id: AgentId
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(SUBSCRIBER_BACKLOG))

    def put(self, message: Message) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            log.warning("agent feed backlog full agent=%s: oldest message dropped", self.agent_id)
        self.queue.put_nowait(message)

    async def get(self) -> Message:
        return await self.queue.get()


class AgentFeed:
    """One tail of the store's event stream per process, fanned out to agent subscriptions."""

    def __init__(
        self,
        queues: RedisQueueStore,
        now_s: Callable[[], float],
        *,
        poll_interval_s: float = 0.1,
        batch: int = 200,
    ) -> None:
        self._queues = queues
        self._now_s = now_s
        self.poll_interval_s = poll_interval_s
        self.batch = batch
        self._subs: dict[AgentId, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._last_id: str | None = None
        self._started = asyncio.Event()
        self._closing = asyncio.Event()
        self._wanted = asyncio.Event()  # a subscriber arrived while the tail was idle

    @property
    def tailing(self) -> bool:
        """The tail reads the stream (False before the first subscriber and while nobody
        listens)."""
        return self._last_id is not None

    @contextlib.asynccontextmanager
    async def subscribe(self, agent_id: AgentId) -> AsyncIterator[Subscription]:
        """Receive `agent_id`'s messages while inside the block (tail position fixed first)."""
        sub = Subscription(agent_id)
        self._subs.setdefault(agent_id, set()).add(sub)
        self._wanted.set()
        try:
            await self._ensure_started()
            yield sub
        finally:
            subs = self._subs.get(agent_id, set())
            subs.discard(sub)
            if not subs:
                self._subs.pop(agent_id, None)

    async def _ensure_started(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="agent-feed")
        await self._started.wait()

    async def aclose(self) -> None:
        """Stop the tail: it ends at its next wait; cancelled if a read does not return."""
        task, self._task = self._task, None
        self._closing.set()
        if task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await asyncio.shield(task)
        while not task.done():  # a cancel may be swallowed inside a client's wait_for
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await asyncio.shield(task)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when closing (a cancel swallowed here: `_closing` ends it)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    async def _idle(self) -> None:
        """Nobody listens: wait for a subscriber (or closing) without touching Redis."""
        self._wanted.clear()
        if self._subs or self._closing.is_set():
            return
        closing = asyncio.ensure_future(self._closing.wait())
        wanted = asyncio.ensure_future(self._wanted.wait())
        try:
            await asyncio.wait({closing, wanted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            wanted.cancel()

    async def _tail_id(self) -> str:
        """The id of the newest stream entry ("0" when empty): the tail starts after it."""
        store = self._queues
        newest = await store.client.xrevrange(store.key("events"), count=1)
        return str(newest[0][0]) if newest else "0"

    async def _run(self) -> None:
        outage = Outage("agent feed")
        while not self._closing.is_set():
            if not self._subs:  # nobody listens: stop reading; the next one fixes a new tail
                self._last_id = None
                self._started.clear()
                await self._idle()
                continue
            try:
                if self._last_id is None:
                    self._last_id = await self._tail_id()
                    self._started.set()
                events = await self._queues.events(after=self._last_id, count=self.batch)
                for event in events:
                    self._last_id = event.event_id
                    await self._dispatch_safely(event)
                outage.ok()
            except (QueueingError, RedisError, OSError) as exc:
                outage.failed(exc)
                await self._pause(outage.pause_s(self.poll_interval_s))
                continue
            if len(events) < self.batch:
                await self._pause(self.poll_interval_s)

    async def _dispatch_safely(self, event: QueueEvent) -> None:
        """Deliver one entry; a failure loses that entry only (logged), never the tail."""
        try:
            await self._dispatch(event)
        except (QueueingError, OSError):
            raise
        except Exception:
            log.exception("agent feed: cannot deliver event %s", event.event_id)

    async def _dispatch(self, event: QueueEvent) -> None:
        agent_id = AgentId(event.fields.get("agent_id", ""))
        subs = self._subs.get(agent_id)
        if not subs:
            return
        message = await self._message(event)
        if message is None:
            return
        message["event_id"] = event.event_id
        for sub in list(subs):
            sub.put(dict(message))

    async def _message(self, event: QueueEvent) -> Message | None:
        now_s = float(self._now_s())
        fields = event.fields
        if event.type == "call_offered":
            call = await self._queues.get_call(CallKey(fields.get("call_id", "")))
            if call is None:
                return None
            queue = self._queues.config.queues.get(call.queue)
            return offer_message(call, queue.ring_timeout_s if queue else None, now_s)
        if event.type == "agent_state":
            return {
                "type": "state",
                "agent_id": fields.get("agent_id"),
                "state": fields.get("state"),
                "reason": fields.get("reason", ""),
                "call_id": fields.get("call_id") or None,
                "time_in_state_s": 0.0,
            }
        if event.type in _CALL_EVENTS:
            return {
                "type": "call",
                "event": _CALL_EVENTS[event.type],
                "call_id": fields.get("call_id"),
                "queue": fields.get("queue"),
            }
        return None


def describe_agent(agent: AgentRecord, now_s: float) -> Message:
    """An agent as the API shows it (profile, state, time in state)."""
    profile = agent.profile
    return {
        "agent_id": agent.agent_id,
        "name": profile.name,
        "endpoint": profile.endpoint,
        "skills": dict(sorted(profile.skills.items())),
        "state": agent.state.value,
        "reason": agent.reason,
        "state_since_s": agent.state_since_s,
        "time_in_state_s": round(max(0.0, now_s - agent.state_since_s), 1),
        "calls_handled": agent.calls_handled,
        "call_id": agent.call_id,
        "unanswered": agent.unanswered,
    }


def masked_info(info: Mapping[str, str]) -> dict[str, str]:
    """A queued call's info for supervisors: account masked, secret-named keys dropped."""
    out = {k: v for k, v in info.items() if not _SECRET_KEY.search(k)}
    if "account" in out:
        out["account"] = mask_account(out["account"]) or ""
    return out
