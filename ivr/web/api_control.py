"""Call control and supervisor monitoring routes (docs/call-control.md).

- `POST /api/calls/{call_id}/hold`, `.../resume`, `.../transfer` (`{"to": "queue", "queue":
  "general"}`): the agent on the call, supervisors and admins. An agent acting on a call that is
  not its own gets 403 `not-your-call`. `call_id` is the queue's call key (the agent desktop's
  `current_call.call_id`).
- `GET /api/calls/{call_id}/control`: the connected call as call control sees it (on hold or
  not, queue, agent; supervisors also see its monitoring sessions).
- `GET /api/calls/{call_id}/control/audit`: every audited action on the call (supervisors,
  admins, compliance).
- `POST /api/calls/{call_id}/monitor` (`{"mode": "listen"|"whisper"|"barge", "endpoint":
  "PJSIP/9001"}`; without `endpoint`, the phone of the supervisor's own agent profile),
  `GET /api/monitoring`, `DELETE /api/monitoring/{session_id}`: supervisors and admins.
- `GET /api/agents/{agent_id}/monitoring`: the agent's own monitoring, when
  `calls.monitor_visible` allows agents to see it (else `visible: false` and no sessions).

Rules: the work is `ivr.queue.control.CallControl` and `ivr.queue.monitor.Monitor`, built by
the app (`ivr.app.parts.start_call_control`) and attached to the `ControlSlot` once they exist
(the routes are registered before: 503 `call-control-unavailable` until then). Every action is
audited there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, model_validator

from ivr.queue import consult as xfer
from ivr.queue.consult_shell import Transfers
from ivr.queue.control import Actor, CallControl, CallView
from ivr.queue.monitor import MODES, Monitor, MonitorSession
from ivr.store.control_audit import ControlAudit, ControlAuditStore
from ivr.web.api import API_ROUTES
from ivr.web.api_agents import target_agent_id
from ivr.web.api_body import Body, read_body
from ivr.web.api_common import Route, iso, ok
from ivr.web.auth import (
    ROLE_ADMIN,
    ROLE_AGENT,
    ROLE_COMPLIANCE,
    ROLE_SUPERVISOR,
    current_user,
    require_roles,
)
from ivr.web.errors import ApiError
from queueing.policy import AgentId
from queueing.store import RedisQueueStore

ON_CALL = frozenset({ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN})
SUPERVISORS = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
AUDIT_READERS = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})


class TransferBody(Body):
    to: Literal["queue", "agent", "number"]
    queue: Annotated[str | None, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = None
    agent_id: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = None
    number: Annotated[str | None, Field(min_length=1, max_length=32)] = None

    @model_validator(mode="after")
    def _target_given(self) -> TransferBody:
        field = {"queue": "queue", "agent": "agent_id", "number": "number"}[self.to]
        if getattr(self, field) is None:
            raise ValueError(f"{field}: is required when to is {self.to}")
        return self

    def target(self) -> str:
        value = {"queue": self.queue, "agent": self.agent_id, "number": self.number}[self.to]
        assert value is not None  # checked above
        return value


class ConsultBody(TransferBody):
    to: Literal["agent", "number"]


class MonitorBody(Body):
    mode: Literal["listen", "whisper", "barge"]
    endpoint: Annotated[str | None, Field(max_length=100)] = None


@dataclass
class ControlSlot:
    """Call control for the routes, attached once the app's parts exist."""

    queues: RedisQueueStore | None = None
    control: CallControl | None = None
    monitor: Monitor | None = None
    audit: ControlAuditStore | None = None
    transfers: Transfers | None = None

    def attach(self, control: CallControl, monitor: Monitor, audit: ControlAuditStore) -> None:
        self.control, self.monitor, self.audit = control, monitor, audit

    def people(self) -> Transfers:
        self.parts()
        assert self.transfers is not None
        return self.transfers

    def parts(self) -> tuple[CallControl, Monitor, ControlAuditStore]:
        if self.control is None or self.monitor is None or self.audit is None:
            raise ApiError(503, "call-control-unavailable", "Call control is not running")
        return self.control, self.monitor, self.audit


CONTROL_SLOT: web.AppKey[ControlSlot] = web.AppKey("ivr_control_slot", ControlSlot)


def view_json(view: CallView) -> dict[str, object]:
    return {
        "call_id": view.key,
        "agent_id": view.agent_id,
        "queue": view.queue,
        "priority": view.priority,
        "on_hold": view.on_hold,
    }


def transfer_json(t: xfer.Transfer) -> dict[str, object]:
    return {"call_id": t.key, "target": t.target, "phase": str(t.phase), "on_hold": t.held}


def audit_json(entry: ControlAudit) -> dict[str, object]:
    return {
        "at": iso(entry.at),
        "actor": entry.actor,
        "role": entry.role,
        "action": entry.action,
        "call_id": entry.call_key,
        "agent_id": entry.agent_id,
        "target": entry.target,
        "detail": entry.detail,
    }


def _actor(request: web.Request) -> tuple[Actor, str | None]:
    """Who acts, in which role (the strongest they hold), and their agent id."""
    user = current_user(request)
    assert user is not None  # require_roles ran first
    role = next(
        r for r in (ROLE_ADMIN, ROLE_SUPERVISOR, ROLE_AGENT, ROLE_COMPLIANCE) if r in user.roles
    )
    return Actor(user.name, role), user.agent_id


class ControlRoutes:
    def __init__(self, slot: ControlSlot) -> None:
        self.slot = slot

    def routes(self) -> list[Route]:
        c = "/api/calls/{call_id}"
        return [
            Route("POST", f"{c}/hold", self.hold, ON_CALL, "Hold: the client hears music"),
            Route("POST", f"{c}/resume", self.resume, ON_CALL, "Resume a held call"),
            Route(
                "POST",
                f"{c}/transfer",
                self.transfer,
                ON_CALL,
                "Blind transfer to a queue (keeps class, wait, screen pop)",
                TransferBody,
            ),
            Route(
                "POST",
                f"{c}/consult",
                self.consult,
                ON_CALL,
                "Warm transfer: the client on hold, the target dialled",
                ConsultBody,
            ),
            Route("POST", f"{c}/consult/complete", self.complete, ON_CALL, "Hand over, leave"),
            Route("POST", f"{c}/consult/cancel", self.cancel, ON_CALL, "Back to the client"),
            Route("POST", f"{c}/conference", self.conference, ON_CALL, "Three-way conference"),
            Route("GET", f"{c}/control", self.show, ON_CALL, "A connected call's control state"),
            Route("GET", f"{c}/control/audit", self.audit, AUDIT_READERS, "Audited actions"),
            Route(
                "POST",
                f"{c}/monitor",
                self.monitor,
                SUPERVISORS,
                "Listen, whisper or barge",
                MonitorBody,
            ),
            Route("GET", "/api/monitoring", self.sessions, SUPERVISORS, "Live monitoring"),
            Route(
                "DELETE",
                "/api/monitoring/{session_id}",
                self.stop,
                SUPERVISORS,
                "Stop monitoring",
            ),
            Route(
                "GET",
                "/api/agents/{agent_id}/monitoring",
                self.agent_monitoring,
                ON_CALL,
                "Whether the agent is monitored (if agents may see it)",
            ),
        ]

    def _mine(self, request: web.Request) -> tuple[CallControl, CallView, Actor]:
        """The call, after the agent-acts-only-on-its-own-call rule."""
        control, _monitor, _audit = self.slot.parts()
        actor, agent_id = _actor(request)
        view = control.view(request.match_info["call_id"])
        if actor.role == ROLE_AGENT and view.agent_id != agent_id:
            raise ApiError(
                403, "not-your-call", "An agent may only control its own call",
                call_id=view.key,
            )  # fmt: skip
        return control, view, actor

    async def hold(self, request: web.Request) -> web.Response:
        control, view, actor = self._mine(request)
        return ok(view_json(await control.hold(view.key, actor)))

    async def resume(self, request: web.Request) -> web.Response:
        control, view, actor = self._mine(request)
        return ok(view_json(await control.resume(view.key, actor)))

    async def transfer(self, request: web.Request) -> web.Response:
        body = await read_body(request, TransferBody)
        control, view, actor = self._mine(request)
        if body.to == "queue":
            return ok(view_json(await control.transfer_to_queue(view.key, body.target(), actor)))
        people = self.slot.people()
        t = await people.start(view.key, body.to, body.target(), actor, blind=True)
        return ok(transfer_json(t))

    async def consult(self, request: web.Request) -> web.Response:
        body = await read_body(request, ConsultBody)
        _control, view, actor = self._mine(request)
        people = self.slot.people()
        t = await people.start(view.key, body.to, body.target(), actor, blind=False)
        return ok(transfer_json(t))

    async def _step(self, request: web.Request, event: xfer.Event) -> web.Response:
        people = self.slot.people()
        key = request.match_info["call_id"]
        found = people.status(key)
        if found is None:
            raise ApiError(409, "call-control-refused", f"Call '{key}' has no transfer in progress")
        actor = self._transfer_actor(request, people, key)
        return ok(transfer_json(await people.request(key, event, actor)))

    @staticmethod
    def _transfer_actor(request: web.Request, people: Transfers, key: str) -> Actor:
        actor, agent_id = _actor(request)
        if actor.role == ROLE_AGENT and people.agent_of(key) != agent_id:
            raise ApiError(
                403, "not-your-call", "An agent may only control its own call", call_id=key
            )
        return actor

    def _owned(self, request: web.Request) -> web.Response | None:
        """A call its transfer owns (agent A gone): the transfer's state, else None."""
        people = self.slot.people()
        key = request.match_info["call_id"]
        found = people.status(key)
        if found is None or found.phase not in (xfer.Phase.BLIND_RINGING, xfer.Phase.TRANSFERRED):
            return None
        self._transfer_actor(request, people, key)
        return ok({"call_id": key, "transfer": transfer_json(found)})

    async def complete(self, request: web.Request) -> web.Response:
        return await self._step(request, xfer.Complete())

    async def cancel(self, request: web.Request) -> web.Response:
        return await self._step(request, xfer.Cancel())

    async def conference(self, request: web.Request) -> web.Response:
        return await self._step(request, xfer.Conference())

    async def show(self, request: web.Request) -> web.Response:
        owned = self._owned(request)
        if owned is not None:
            return owned
        _control, view, actor = self._mine(request)
        body = view_json(view)
        queues = self.slot.queues
        body["transfer_queues"] = sorted(queues.config.queues) if queues is not None else []
        found = self.slot.people().status(view.key)
        body["transfer"] = None if found is None else transfer_json(found)
        if actor.role != ROLE_AGENT:
            _c, monitor, _a = self.slot.parts()
            body["monitoring"] = [s.to_json() for s in monitor.sessions if s.key == view.key]
        return ok(body)

    async def audit(self, request: web.Request) -> web.Response:
        _control, _monitor, audit = self.slot.parts()
        entries = await audit.for_call(request.match_info["call_id"])
        return ok(
            {"call_id": request.match_info["call_id"], "audit": [audit_json(e) for e in entries]}
        )

    async def monitor(self, request: web.Request) -> web.Response:
        body = await read_body(request, MonitorBody)
        _control, monitor, _audit = self.slot.parts()
        actor, agent_id = _actor(request)
        endpoint = body.endpoint or await self._own_phone(agent_id)
        session = await monitor.start(request.match_info["call_id"], body.mode, endpoint, actor)
        return ok({"monitoring": session.to_json()}, status=201)

    async def _own_phone(self, agent_id: str | None) -> str:
        record = None
        if agent_id is not None and self.slot.queues is not None:
            record = await self.slot.queues.get_agent(AgentId(agent_id))
        if record is None:
            raise ApiError(
                400, "invalid-monitor-request",
                "endpoint: is required (your user has no agent profile with a phone)",
                field="endpoint",
            )  # fmt: skip
        return record.profile.endpoint

    async def sessions(self, request: web.Request) -> web.Response:
        _control, monitor, _audit = self.slot.parts()
        return ok({"monitoring": [s.to_json() for s in monitor.sessions]})

    async def stop(self, request: web.Request) -> web.Response:
        _control, monitor, _audit = self.slot.parts()
        session: MonitorSession = await monitor.stop(request.match_info["session_id"])
        return ok({"monitoring": session.to_json()})

    async def agent_monitoring(self, request: web.Request) -> web.Response:
        agent_id = target_agent_id(request)
        _control, monitor, _audit = self.slot.parts()
        if not monitor.visible_to_agent:
            return ok({"agent_id": agent_id, "visible": False, "monitoring": []})
        found = [
            {"mode": s.mode, "supervisor": s.actor.name, "state": s.state}
            for s in monitor.of_agent(agent_id)
        ]
        return ok({"agent_id": agent_id, "visible": True, "monitoring": found})


def add_control_routes(app: web.Application, queues: RedisQueueStore) -> ControlSlot:
    """Add the call-control routes to `app` and its API table (after `add_api_routes`); the
    app attaches the slot's parts (`ivr.app.parts.start_call_control`) once the hand-off exists."""
    slot = app[CONTROL_SLOT] = ControlSlot(queues)
    routes = ControlRoutes(slot).routes()
    for route in routes:
        roles = sorted(route.roles or SUPERVISORS)
        app.router.add_route(route.method, route.path, require_roles(*roles)(route.handler))
    app[API_ROUTES].extend(routes)
    return slot


__all__ = ["CONTROL_SLOT", "MODES", "ControlSlot", "add_control_routes"]
