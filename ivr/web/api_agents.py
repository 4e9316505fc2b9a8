"""Agent self-service routes under `/api/agents/{agent_id}/...` (`me` = the caller's agent).

Rules: a user with role `agent` acts only on its own agent (`me` or its own id; any other id
is 403 `not-your-agent`); supervisors and admins may act on any agent. The websocket
`GET /api/agents/{agent_id}/ws` first sends the agent's state (and its pending offer, if
any), then every offer (with the screen pop), state change and call event from the store's
event stream. Disposition ends wrap-up (agent back to ready); it is accepted only for a call
this agent answered (else 403 `not-your-call`) and stores the call's queue and caller from its
SQL row (found by the caller channel id agents see as `call_id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import WSCloseCode, WSMsgType, web

from ivr.queue.feed import (
    Message,
    Subscription,
    describe_agent,
    offer_message,
    screen_pop,
    state_message,
)
from ivr.queue.handled import answered_by
from ivr.store.dispositions import Disposition, DispositionExists
from ivr.web.api_body import (
    DispositionBody,
    LoginBody,
    StateBody,
    read_body,
)
from ivr.web.api_common import HandlerContext, Route, iso, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_AGENT, ROLE_SUPERVISOR, current_user
from ivr.web.errors import ApiError
from queueing.model import AgentRecord, AgentState, QueueCallState
from queueing.policy import AgentId, CallKey

log = logging.getLogger(__name__)

AGENT_ROLES = frozenset({ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN})
_MANAGERS = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
WS_HEARTBEAT_S = 30.0


def target_agent_id(request: web.Request) -> AgentId:
    """The agent a request is about, after the agent-acts-only-on-itself rule."""
    user = current_user(request)
    assert user is not None  # require_roles ran first
    raw = request.match_info["agent_id"]
    if raw == "me":
        if user.agent_id is None:
            raise ApiError(
                404,
                "no-agent-linked",
                f"User '{user.name}' is not linked to an agent",
                user=user.name,
            )
        return AgentId(user.agent_id)
    if raw != user.agent_id and not user.has_any(_MANAGERS):
        raise ApiError(403, "not-your-agent", "An agent may only act on itself", agent_id=raw)
    return AgentId(raw)


def _disposition_json(d: Disposition) -> Message:
    return {
        "call_id": d.call_id,
        "queue": d.queue,
        "caller": d.caller,
        "disposition": d.disposition,
        "notes": d.notes,
        "at": iso(d.at),
    }


class AgentRoutes:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx
        self.queues = ctx.deps.queues

    def routes(self) -> list[Route]:
        base = "/api/agents/{agent_id}"
        r = AGENT_ROLES
        return [
            Route("GET", base, self.show, r, "The agent: state, time in state, current call"),
            Route("POST", f"{base}/login", self.login, r, "Log in", LoginBody),
            Route("POST", f"{base}/logout", self.logout, r, "Log out"),
            Route("PUT", f"{base}/state", self.set_state, r, "Ready / not ready", StateBody),
            Route("POST", f"{base}/calls/{{call_id}}/accept", self.accept, r, "Accept an offer"),
            Route(
                "POST",
                f"{base}/calls/{{call_id}}/disposition",
                self.disposition,
                r,
                "Disposition and notes; ends wrap-up",
                DispositionBody,
            ),
            Route("GET", f"{base}/history", self.history, r, "Own calls today (dispositions)"),
            Route("GET", f"{base}/ws", self.websocket, r, "Live offers and state", websocket=True),
        ]

    async def agent(self, request: web.Request) -> AgentRecord:
        agent_id = target_agent_id(request)
        record = await self.queues.get_agent(agent_id)
        if record is None:
            raise ApiError(404, "agent-not-found", f"No agent '{agent_id}'", agent_id=agent_id)
        return record

    async def view(self, agent_id: AgentId) -> Message:
        record = await self.queues.get_agent(agent_id)
        if record is None:
            raise ApiError(404, "agent-not-found", f"No agent '{agent_id}'", agent_id=agent_id)
        call = await self.queues.get_call(record.call_id) if record.call_id else None
        body = describe_agent(record, self.ctx.now_s())
        body["current_call"] = None if call is None else screen_pop(call, self.ctx.now_s())
        return body

    async def show(self, request: web.Request) -> web.Response:
        return ok(await self.view((await self.agent(request)).agent_id))

    async def login(self, request: web.Request) -> web.Response:
        agent = await self.agent(request)
        body = await read_body(request, LoginBody, optional=True)
        await self.queues.login(agent.agent_id, self.ctx.now_s(), ready=body.ready)
        return ok(await self.view(agent.agent_id))

    async def logout(self, request: web.Request) -> web.Response:
        agent = await self.agent(request)
        await self.queues.logout(agent.agent_id, self.ctx.now_s())
        return ok(await self.view(agent.agent_id))

    async def set_state(self, request: web.Request) -> web.Response:
        agent = await self.agent(request)
        body = await read_body(request, StateBody)
        if agent.state is AgentState.LOGGED_OUT:
            raise ApiError(409, "agent-logged-out", "Log in first", agent_id=agent.agent_id)
        if body.state == "ready":
            await self.queues.set_ready(agent.agent_id, self.ctx.now_s())
        else:
            reason = body.reason or "break"
            await self.queues.set_not_ready(agent.agent_id, reason, self.ctx.now_s())
        return ok(await self.view(agent.agent_id))

    async def accept(self, request: web.Request) -> web.Response:
        agent = await self.agent(request)
        call_id = CallKey(request.match_info["call_id"])
        call = await self.queues.get_call(call_id)
        if call is None:
            raise ApiError(404, "call-not-found", f"No call '{call_id}'", call_id=call_id)
        mine = call.agent_id == agent.agent_id
        if not mine or call.state not in (QueueCallState.OFFERED, QueueCallState.CONNECTED):
            raise ApiError(
                409,
                "not-offered",
                f"Call '{call_id}' is not offered to agent '{agent.agent_id}'",
                call_id=call_id,
                agent_id=agent.agent_id,
            )
        if self.ctx.deps.accept is not None and call.state is QueueCallState.OFFERED:
            await self.ctx.deps.accept(call_id, agent.agent_id)
        log.info("offer accepted call=%s agent=%s", call_id, agent.agent_id)
        return ok({"call_id": call_id, "agent_id": agent.agent_id, "accepted": True})

    async def disposition(self, request: web.Request) -> web.Response:
        agent = await self.agent(request)
        call_id = CallKey(request.match_info["call_id"])
        body = await read_body(request, DispositionBody)
        if agent.call_id == call_id and agent.state in (AgentState.RESERVED, AgentState.ON_CALL):
            raise ApiError(
                409,
                "call-in-progress",
                f"Call '{call_id}' is still in progress; disposition it after it ends",
                call_id=call_id,
            )
        user = current_user(request)
        assert user is not None
        answered = await answered_by(self.queues, call_id)
        if answered is None or answered[0] != agent.agent_id:
            raise ApiError(
                403,
                "not-your-call",
                f"Agent '{agent.agent_id}' did not answer call '{call_id}'",
                call_id=call_id,
            )
        summary = await self.ctx.deps.calls.find_by_channel(call_id)  # the SQL row of the call
        try:
            saved = await self.ctx.dispositions.record(
                call_id=call_id,
                agent_id=agent.agent_id,
                user_name=user.name,
                disposition=body.disposition,
                notes=body.notes,
                queue=summary.call.queue if summary and summary.call.queue else answered[1],
                caller=summary.call.caller if summary else None,
                at=self.ctx.now(),
            )
        except DispositionExists as exc:
            raise ApiError(409, "already-dispositioned", str(exc), call_id=call_id) from None
        if agent.state is AgentState.WRAP_UP:
            await self.queues.set_ready(agent.agent_id, self.ctx.now_s())
        log.info("disposition call=%s agent=%s", call_id, agent.agent_id)
        view = await self.view(agent.agent_id)
        return ok({"disposition": _disposition_json(saved), "agent": view})

    async def history(self, request: web.Request) -> web.Response:
        agent = await self.agent(request)
        rows = await self.ctx.dispositions.for_agent(agent.agent_id, self.ctx.start_of_today())
        return ok({"agent_id": agent.agent_id, "calls": [_disposition_json(d) for d in rows]})

    # -- websocket -------------------------------------------------------------------------
    async def websocket(self, request: web.Request) -> web.StreamResponse:
        agent = await self.agent(request)
        ws = web.WebSocketResponse(heartbeat=WS_HEARTBEAT_S)
        await ws.prepare(request)
        sockets: set[web.WebSocketResponse] = request.app[WEBSOCKETS]
        sockets.add(ws)
        try:
            await self._serve(ws, agent.agent_id)
        except Exception:  # the response is started: no error body can follow, close instead
            log.exception("agent websocket failed agent=%s", agent.agent_id)
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
        finally:
            sockets.discard(ws)
        return ws

    async def _serve(self, ws: web.WebSocketResponse, agent_id: AgentId) -> None:
        async with self.ctx.feed.subscribe(agent_id) as sub:
            offered = await self._greet(ws, agent_id)
            pump = asyncio.create_task(self._pump(ws, sub, offered))
            try:
                await self._drain(ws)
            finally:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump

    async def _greet(self, ws: web.WebSocketResponse, agent_id: AgentId) -> set[str]:
        """Send the current state and any pending offer; the call ids already offered."""
        record = await self.queues.get_agent(agent_id)
        call = await self.queues.get_call(record.call_id) if record and record.call_id else None
        if record is None:
            return set()
        await ws.send_json(state_message(record, self.ctx.now_s()))
        if call is None or call.state is not QueueCallState.OFFERED or call.agent_id != agent_id:
            return set()
        queue = self.queues.config.queues.get(call.queue)
        ring_s = queue.ring_timeout_s if queue else None
        await ws.send_json(offer_message(call, ring_s, self.ctx.now_s()))
        return {call.call_id}

    @staticmethod
    async def _pump(ws: web.WebSocketResponse, sub: Subscription, offered: set[str]) -> None:
        while not ws.closed:
            message = await sub.get()
            if message["type"] == "offer":
                if message["call_id"] in offered:
                    continue
                offered.add(message["call_id"])
            await ws.send_json(message)

    @staticmethod
    async def _drain(ws: web.WebSocketResponse) -> None:
        """Read until the client closes (client messages are ignored)."""
        async for msg in ws:
            if msg.type is WSMsgType.ERROR:
                break


WEBSOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("ivr_api_websockets", set)
