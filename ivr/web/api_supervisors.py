"""Supervisor routes: queues live and today, all agents, force not-ready, call records.

Rules: read-mostly views over the queue store (`queue_stats`, `list_agents`,
`waiting_calls`) and the call records (`CallStore`). Waiting callers are shown with their
account masked. Compliance users may read call records, not queues.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict
from typing import Any

from aiohttp import web

from ivr.queue.feed import Message, describe_agent, masked_info
from ivr.store import CallDetail, CallSummary
from ivr.web.api_body import ForceNotReadyBody, read_body
from ivr.web.api_common import HandlerContext, Route, iso, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_COMPLIANCE, ROLE_SUPERVISOR
from ivr.web.errors import ApiError
from ivr.web.ints import query_int
from queueing.model import AgentState, QueueStats
from queueing.policy import AgentId

log = logging.getLogger(__name__)

SUPERVISOR_ROLES = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
RECORD_ROLES = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})


def stats_json(stats: QueueStats) -> Message:
    """One queue's figures as JSON (also what `ivr queues status --json` prints)."""
    return {
        "queue": stats.queue,
        "waiting": stats.waiting,
        "longest_wait_s": round(stats.longest_wait_s, 1),
        "agents_by_state": {str(k): v for k, v in stats.agents_by_state.items()},
        "entered": stats.entered,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
        "timed_out": stats.timed_out,
        "service_level_pct": _pct(stats.service_level_pct),
        "abandon_rate_pct": _pct(stats.abandon_rate_pct),
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def call_json(call: CallSummary) -> Message:
    body: Message = _jsonable(asdict(call))
    return body


def call_detail_json(detail: CallDetail) -> Message:
    return {
        "call": call_json(detail.call),
        "trace": [
            {**_jsonable(asdict(t)), "at": iso(t.at), "detail": dict(t.detail)}
            for t in detail.trace
        ],
    }


ALERT_AFTER = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?", re.ASCII)
STREAM_ID_MAX = 2**64 - 1  # each part of a Redis stream id is an unsigned 64-bit number


def stream_id(raw: str) -> str | None:
    """`raw` if it is a Redis stream id (`ms` or `ms-seq`, ASCII digits, 64-bit parts)."""
    match = ALERT_AFTER.fullmatch(raw)
    if match is None or any(int(p) > STREAM_ID_MAX for p in match.groups() if p is not None):
        return None
    return raw


class SupervisorRoutes:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx
        self.queues = ctx.deps.queues

    def routes(self) -> list[Route]:
        s, c = SUPERVISOR_ROLES, RECORD_ROLES
        return [
            Route("GET", "/api/queues", self.list_queues, s, "Every queue: live and today"),
            Route("GET", "/api/queues/{name}", self.show_queue, s, "One queue with its callers"),
            Route("GET", "/api/agents", self.list_agents, s, "Every agent, state, time in state"),
            Route(
                "POST",
                "/api/agents/{agent_id}/force-not-ready",
                self.force_not_ready,
                s,
                "Force an agent not ready",
                ForceNotReadyBody,
            ),
            Route(
                "GET",
                "/api/alerts",
                self.list_alerts,
                s,
                "Supervisor alerts (urgent callbacks after voice orders), oldest first",
                query=("after:string",),
            ),
            Route("GET", "/api/calls", self.list_calls, c, "Newest call records", query=("limit",)),
            Route("GET", "/api/calls/{call_id}", self.show_call, c, "A call record with trace"),
        ]

    async def list_queues(self, request: web.Request) -> web.Response:
        now_s = self.ctx.now_s()
        stats = [await self.queues.queue_stats(q, now_s) for q in self.queues.config.queues]
        return ok({"queues": [stats_json(s) for s in stats]})

    async def show_queue(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.queues.config.queues:
            raise ApiError(404, "queue-not-found", f"No queue '{name}'", queue=name)
        now_s = self.ctx.now_s()
        stats = await self.queues.queue_stats(name, now_s)
        waiting = await self.queues.waiting_calls([name])
        records = [await self.queues.get_call(w.call_id) for w in waiting]
        callers = [
            {
                "call_id": r.call_id,
                "priority": r.priority.value,
                "wait_s": round(max(0.0, now_s - r.enqueued_at_s), 1),
                "info": masked_info(r.info),
            }
            for r in records
            if r is not None
        ]
        return ok({**stats_json(stats), "calls": callers})

    async def list_agents(self, request: web.Request) -> web.Response:
        agents = await self.queues.list_agents()
        now_s = self.ctx.now_s()
        return ok({"agents": [describe_agent(a, now_s) for a in agents]})

    async def force_not_ready(self, request: web.Request) -> web.Response:
        agent_id = AgentId(request.match_info["agent_id"])
        body = await read_body(request, ForceNotReadyBody)
        agent = await self.queues.get_agent(agent_id)
        if agent is None:
            raise ApiError(404, "agent-not-found", f"No agent '{agent_id}'", agent_id=agent_id)
        if agent.state is AgentState.LOGGED_OUT:
            raise ApiError(409, "agent-logged-out", "The agent is logged out", agent_id=agent_id)
        await self.queues.set_not_ready(agent_id, body.reason, self.ctx.now_s())
        agent = await self.queues.get_agent(agent_id)
        assert agent is not None
        log.info("forced not ready agent=%s reason=%s", agent_id, body.reason)
        return ok(describe_agent(agent, self.ctx.now_s()))

    async def list_alerts(self, request: web.Request) -> web.Response:
        """Alerts on the queue event stream after `after` (an entry id; `0`: from the start)."""
        after = request.query.get("after", "0")
        if stream_id(after) is None:
            raise ApiError(
                400, "invalid-query", "'after' must be a stream id such as 0 or 1-0", field="after"
            )
        events = await self.queues.events(after=after, count=500)
        alerts = [{"id": e.event_id, **e.fields} for e in events if e.type == "alert"]
        last = events[-1].event_id if events else after
        return ok({"alerts": alerts, "next": last})

    async def list_calls(self, request: web.Request) -> web.Response:
        limit = query_int(request, "limit", 50, 1, 500)
        calls = await self.ctx.deps.calls.list_calls(limit=limit)
        return ok({"calls": [call_json(c) for c in calls]})

    async def show_call(self, request: web.Request) -> web.Response:
        call_id = request.match_info["call_id"]
        detail = await self.ctx.deps.calls.get_call(call_id)
        if detail is None:
            raise ApiError(404, "call-not-found", f"No call '{call_id}'", call_id=call_id)
        return ok(call_detail_json(detail))
