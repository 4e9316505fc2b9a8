"""Admin API of flow versions under `/api/admin/flows`: list, read, validate, save, publish,
rollback, diff, simulate, audit.

Roles: admins do everything; supervisors may read (lists, a version's YAML, diff, audit).
Errors in the one API shape: 400 `flow-invalid` (details `errors`: one `{path, line, column,
message, text}` per problem, for the editor to mark its line), 400 `invalid-flow-request`,
404 `flow-version-not-found`, 409 `already-live` / `flow-version-conflict`.

Rules: the routes are `Route` table entries appended to the API's table (`API_ROUTES`), so the
OpenAPI document lists them; register with `register_flow_routes` after `add_api_routes`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Final

from aiohttp import web
from pydantic import Field

from ivr.engine.errors import FlowError
from ivr.engine.model import FlowSet
from ivr.engine.sim import (
    DEFAULT_CALLER,
    DEFAULT_DIALED,
    DEFAULT_NOW,
    LOCAL_ZONE,
    parse_inputs,
    simulate,
)
from ivr.engine.sim import transcript as sim_transcript
from ivr.errors import IvrError
from ivr.flowversions.service import (
    AlreadyLive,
    BadFlowRequest,
    FlowRejected,
    FlowVersionError,
    FlowVersions,
    VersionNotFound,
)
from ivr.store.flowversions import AuditEntry, FlowVersion
from ivr.web.api import API_ROUTES
from ivr.web.api_body import Body, read_body
from ivr.web.api_common import Route, iso, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_SUPERVISOR, current_user, require_roles
from ivr.web.errors import ApiError, Handler
from ivr.web.ints import parse_int, query_int

log = logging.getLogger(__name__)

WRITE: Final = frozenset({ROLE_ADMIN})
READ: Final = frozenset({ROLE_ADMIN, ROLE_SUPERVISOR})
MAX_TEXT: Final = 512 * 1024
BASE: Final = "/api/admin/flows"


class YamlBody(Body):
    yaml: str = Field(max_length=MAX_TEXT)


class SaveBody(Body):
    yaml: str = Field(max_length=MAX_TEXT)
    comment: str = Field(default="", max_length=2000)


class LiveBody(Body):
    version: int = Field(ge=1)
    comment: str = Field(default="", max_length=2000)


class SimulateBody(Body):
    inputs: str = Field(default="", max_length=4000)
    yaml: str | None = Field(default=None, max_length=MAX_TEXT)
    version: int | None = Field(default=None, ge=1)
    language: str | None = None
    caller: str = DEFAULT_CALLER
    dialed: str | None = None
    now: datetime | None = None


def error_json(error: FlowError) -> dict[str, Any]:
    return {
        "path": str(error.path), "line": error.line, "column": error.column,
        "message": error.message, "text": str(error),
    }  # fmt: skip


def version_json(v: FlowVersion, live: int | None = None) -> dict[str, Any]:
    return {
        "flow": v.flow, "version": v.number, "sha256": v.sha256, "author": v.author,
        "created_at": iso(v.created_at), "comment": v.comment, "live": v.number == live,
    }  # fmt: skip


def audit_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id, "at": iso(e.at), "actor": e.actor, "action": e.action, "flow": e.flow,
        "from_version": e.from_version, "to_version": e.to_version, "comment": e.comment,
    }  # fmt: skip


def api_error(exc: FlowVersionError) -> ApiError:
    match exc:
        case FlowRejected():
            errors = [error_json(e) for e in exc.errors if isinstance(e, FlowError)]
            return ApiError(400, "flow-invalid", str(exc), errors=errors)
        case VersionNotFound():
            return ApiError(404, "flow-version-not-found", str(exc), flow=exc.flow)
        case BadFlowRequest():
            return ApiError(400, "invalid-flow-request", str(exc))
        case AlreadyLive():
            return ApiError(409, "already-live", str(exc))
        case _:
            return ApiError(409, "flow-version-conflict", str(exc))


def translated(handler: Handler) -> Handler:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except FlowVersionError as exc:
            raise api_error(exc) from None

    wrapper.__name__ = handler.__name__
    return wrapper


def who(request: web.Request) -> str:
    user = current_user(request)
    assert user is not None  # require_roles ran first
    return user.name


class FlowRoutes:
    def __init__(self, service: FlowVersions) -> None:
        self.service = service
        self.store = service.store

    def routes(self) -> list[Route]:
        f, n = f"{BASE}/{{flow}}", f"{BASE}/{{flow}}/versions/{{number}}"
        return [
            Route("GET", BASE, self.list_flows, READ, "Flows with live and latest version"),
            Route("GET", f"{f}/versions", self.list_versions, READ, "Versions of a flow"),
            Route("GET", n, self.get_version, READ, "One version with its YAML"),
            Route("POST", f"{f}/validate", self.validate, WRITE, "Validate YAML", YamlBody),
            Route("POST", f"{f}/versions", self.save, WRITE, "Save a new version", SaveBody),
            Route("POST", f"{f}/publish", self.publish, WRITE, "Make a version live", LiveBody),
            Route("POST", f"{f}/rollback", self.rollback, WRITE, "Earlier version live", LiveBody),
            Route("GET", f"{f}/diff", self.diff, READ, "Unified diff", query=("from", "to")),
            Route("POST", f"{f}/simulate", self.simulate, WRITE, "Try a flow", SimulateBody),
            Route(
                "GET",
                f"{f}/audit",
                self.audit,
                READ,
                "Publish/rollback audit, newest first",
                query=("limit",),
            ),
        ]

    async def list_flows(self, request: web.Request) -> web.Response:
        rows = await self.store.summaries()
        flows = [
            {"flow": s.flow, "live": s.live, "latest": s.latest, "versions": s.versions}
            for s in rows
        ]
        return ok({"flows": flows})

    async def list_versions(self, request: web.Request) -> web.Response:
        flow = request.match_info["flow"]
        versions = await self.store.versions(flow)
        live = (await self.store.live()).numbers.get(flow)
        return ok(
            {"flow": flow, "live": live, "versions": [version_json(v, live) for v in versions]}
        )

    async def get_version(self, request: web.Request) -> web.Response:
        flow, number = request.match_info["flow"], _number(request.match_info["number"])
        text = await self.store.version_text(flow, number)
        live = (await self.store.live()).numbers.get(flow)
        return ok({**version_json(text.version, live), "yaml": text.yaml_text})

    async def validate(self, request: web.Request) -> web.Response:
        body = await read_body(request, YamlBody)
        _flows, errors = await self.service.check_candidate(request.match_info["flow"], body.yaml)
        return ok({"valid": not errors, "errors": [error_json(e) for e in errors]})

    async def save(self, request: web.Request) -> web.Response:
        body = await read_body(request, SaveBody)
        flow = request.match_info["flow"]
        version = await self.service.save(flow, body.yaml, who(request), body.comment)
        _flows, errors = await self.service.check_candidate(flow, body.yaml)
        log.info("flow %s: version %d saved by %s", flow, version.number, version.author)
        body_json = {**version_json(version), "errors": [error_json(e) for e in errors]}
        return ok(body_json, status=201)

    async def publish(self, request: web.Request) -> web.Response:
        body = await read_body(request, LiveBody)
        flow = request.match_info["flow"]
        entry = await self.service.publish(flow, body.version, who(request), body.comment)
        return ok({"audit": audit_json(entry)})

    async def rollback(self, request: web.Request) -> web.Response:
        body = await read_body(request, LiveBody)
        flow = request.match_info["flow"]
        entry = await self.service.rollback(flow, body.version, who(request), body.comment)
        return ok({"audit": audit_json(entry)})

    async def diff(self, request: web.Request) -> web.Response:
        flow = request.match_info["flow"]
        old = query_int(request, "from", 0, 1, 2**31 - 1)
        new = query_int(request, "to", 0, 1, 2**31 - 1)
        if not old or not new:
            raise ApiError(400, "invalid-query", "give both 'from' and 'to' version numbers")
        return ok(
            {"flow": flow, "from": old, "to": new, "diff": await self.service.diff(flow, old, new)}
        )

    async def simulate(self, request: web.Request) -> web.Response:
        body = await read_body(request, SimulateBody)
        flow = request.match_info["flow"]
        text = body.yaml
        if text is None and body.version is not None:
            text = (await self.store.version_text(flow, body.version)).yaml_text
        if text is None:
            text = (await self.store.version_text(flow, await self._live_number(flow))).yaml_text
        flows, errors = await self.service.check_candidate(flow, text)
        if errors:
            raise FlowRejected(list(errors))
        return ok(_run(flows, flow, body))

    async def _live_number(self, flow: str) -> int:
        number = (await self.store.live()).numbers.get(flow)
        if number is None:
            raise VersionNotFound(flow)
        return number

    async def audit(self, request: web.Request) -> web.Response:
        limit = query_int(request, "limit", 100, 1, 1000)
        entries = await self.store.audit(request.match_info["flow"], limit)
        return ok({"audit": [audit_json(e) for e in entries]})


def _number(raw: str) -> int:
    return parse_int(raw, "number", 1, 2**31 - 1, "invalid-path")


def _run(flows: FlowSet, flow: str, body: SimulateBody) -> dict[str, Any]:
    try:
        inputs = parse_inputs(body.inputs)
    except IvrError as exc:
        raise ApiError(400, "invalid-body", str(exc), field="inputs") from None
    model = flows.flows[flow]
    dialed = body.dialed or (model.numbers[0] if model.numbers else DEFAULT_DIALED)
    now = body.now or DEFAULT_NOW
    now = now if now.tzinfo is None else now.astimezone(LOCAL_ZONE)
    result = simulate(
        flows, flow, inputs, language=body.language, caller=body.caller, dialed=dialed, now=now
    )
    return {
        "transcript": sim_transcript(result),
        "outcome": result.outcome.as_dict(),
        "path": list(result.state.path),
        "visited": [
            {"flow": entry.flow, "node": entry.node}
            for entry in result.trace
            if entry.kind == "enter"
        ],
        "prompts": result.prompts,
    }


def register_flow_routes(app: web.Application, service: FlowVersions) -> None:
    """Add the flow-version routes to `app` and to its API table (OpenAPI)."""
    routes = FlowRoutes(service).routes()
    for route in routes:
        roles = sorted(route.roles or WRITE)
        app.router.add_route(
            route.method, route.path, require_roles(*roles)(translated(route.handler))
        )
    app[API_ROUTES].extend(routes)
