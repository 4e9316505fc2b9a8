"""HTTP API of follow-up work items under `/api/followups` (docs/followups.md).

Routes (in the `Route` table, so the OpenAPI document lists them with their roles):
- `GET /api/followups?kind=&status=&overdue=1`: items, phone orders first, then by priority
  and due time (agents, supervisors, admins, compliance).
- `GET /api/followups/counts`: open and overdue items per kind (the wallboard tile).
- `GET /api/followups/{id}`: one item with its history and the call's recordings, each with a
  `play` link (same readers).
- `GET /api/followups/{id}/recordings/{rid}?reason=`: listen to one of them, through the
  recording index's audited access (the audit row is written before a byte is streamed);
  an agent only for an item they hold.
- `POST /api/followups/{id}/claim` (agents), `.../assign {"user", "why"}` and
  `.../cancel {"why"}` (supervisors, admins), `.../close {"status": "done"|"failed",
  "outcome", "note"}` (the agent holding the claim), `.../call` (the agent holding the claim:
  the agent-first callback, when the app wires a caller).

Rules: every change is a history row (who, when, what, why) written by the store, and one INFO
audit line here (who, what, which item; never an account number). Illegal status moves are
409 `illegal-transition`, another agent's item 409 `not-claimant`, unknown ids 404
`followup-not-found`, bad bodies 400 `invalid-body` naming the field.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from ivr.followups.status import KINDS, STATUSES
from ivr.followups.store import Followup, FollowupStore
from ivr.web.api import API_ROUTES
from ivr.web.api_body import USER_NAME, Body, read_body
from ivr.web.api_common import Route, ok
from ivr.web.auth import (
    ROLE_ADMIN,
    ROLE_AGENT,
    ROLE_COMPLIANCE,
    ROLE_SUPERVISOR,
    ApiUser,
    current_user,
    require_roles,
)
from ivr.web.errors import ApiError
from ivr.web.ints import path_int
from recordings import AuditAction, RecordingIndex, RecordingsError

log = logging.getLogger(__name__)

READERS = frozenset({ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})
WORKERS = frozenset({ROLE_AGENT})
MANAGERS = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
WALLBOARD = frozenset({ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN})
Why = Annotated[str, Field(min_length=1, max_length=500)]
OutcomeCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]

# (item, agent user) -> None: the agent-first callback (`ivr.call.followup_call`)
CallBack = Callable[[Followup, ApiUser], Awaitable[Followup]]


class AssignBody(Body):
    user: Annotated[str, Field(pattern=USER_NAME)]
    why: Why


class CancelBody(Body):
    why: Why


class CloseBody(Body):
    status: Literal["done", "failed"]
    outcome: OutcomeCode
    note: Annotated[str, Field(max_length=2000)] = ""


@dataclass(frozen=True, slots=True)
class FollowupApiDeps:
    store: FollowupStore
    recordings: RecordingIndex | None = None
    call: CallBack | None = None


def _user(request: web.Request) -> ApiUser:
    user = current_user(request)
    assert user is not None  # require_roles ran first
    return user


def _id(request: web.Request, name: str = "id") -> int:
    return path_int(request, name)  # ASCII digits in range, else 400 naming the field


def _choice(request: web.Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query.get(name) or None
    if raw is not None and raw not in allowed:
        message = f"'{name}' must be one of {', '.join(allowed)}"
        raise ApiError(400, "invalid-query", message, field=name)
    return raw


def _audit(user: ApiUser, action: str, item: Followup) -> None:
    log.info("followup audit user=%s action=%s id=%d kind=%s status=%s",
             user.name, action, item.id, item.kind, item.status)  # fmt: skip


class FollowupRoutes:
    def __init__(self, deps: FollowupApiDeps) -> None:
        self.deps = deps
        self.store = deps.store

    def routes(self) -> list[Route]:
        base, item = "/api/followups", "/api/followups/{id}"
        return [
            Route("GET", base, self.search, READERS, "Follow-up items (kind, status, overdue)",
                  query=("kind:string", "status:string", "overdue:string")),
            Route("GET", f"{base}/counts", self.counts, WALLBOARD, "Open/overdue items per kind"),
            Route("GET", item, self.show, READERS, "One item with its history and recordings"),
            Route("GET", f"{item}/recordings/{{rid}}", self.listen, READERS,
                  "Listen to one of the item's recordings (audited; query: reason)",
                  query=("reason:string",)),
            Route("POST", f"{item}/claim", self.claim, WORKERS, "Claim an item"),
            Route("POST", f"{item}/assign", self.assign, MANAGERS, "Assign to a user", AssignBody),
            Route("POST", f"{item}/cancel", self.cancel, MANAGERS, "Cancel an item", CancelBody),
            Route("POST", f"{item}/close", self.close, WORKERS, "Close with an outcome", CloseBody),
            Route("POST", f"{item}/call", self.call, WORKERS,
                  "Agent-first callback: ring the agent, then the client, bridge (and record)"),
        ]  # fmt: skip

    def _json(self, item: Followup) -> dict[str, Any]:
        return item.to_json(self.store.now())

    async def search(self, request: web.Request) -> web.Response:
        overdue = request.query.get("overdue", "") in ("1", "true", "yes")
        items = await self.store.search(
            kind=_choice(request, "kind", KINDS),
            status=_choice(request, "status", STATUSES),
            overdue=overdue,
        )
        return ok({"followups": [self._json(i) for i in items]})

    async def counts(self, request: web.Request) -> web.Response:
        counts = await self.store.counts()
        return ok({"counts": {k: counts.get(k, {"open": 0, "overdue": 0}) for k in KINDS}})

    async def show(self, request: web.Request) -> web.Response:
        item = await self.store.get(_id(request))
        body = self._json(item)
        body["recordings"] = await self._recordings(item)
        return ok({"followup": body})

    async def _recordings(self, item: Followup) -> list[dict[str, Any]]:
        """The call's recordings (the whole call goes on after the item was made) and those of
        the follow-up calls, each with its play link."""
        index = self.deps.recordings
        if index is None:
            return []
        rows = {r.id: r for r in await index.search(call_id=item.call_id)} if item.call_id else {}
        for name in item.recordings:
            with contextlib.suppress(RecordingsError):
                recording = await index.by_name(name)
                rows[recording.id] = recording
        return [
            {"id": r.id, "name": r.name, "purpose": r.purpose, "status": r.status.value,
             "play": f"/api/followups/{item.id}/recordings/{r.id}"}
            for r in sorted(rows.values(), key=lambda r: r.id)
        ]  # fmt: skip

    async def listen(self, request: web.Request) -> web.StreamResponse:
        user, item = _user(request), await self.store.get(_id(request), with_history=False)
        staff = user.roles & {ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE}
        if not staff and item.claimed_by != user.name:
            raise ApiError(403, "forbidden", "claim the follow-up to listen to its recordings")
        rid = _id(request, "rid")
        if rid not in {r["id"] for r in await self._recordings(item)} or not self.deps.recordings:
            raise ApiError(404, "recording-not-found", f"no recording {rid} on this follow-up")
        reason = request.query.get("reason") or f"follow-up {item.id} ({item.kind})"
        recording, path = await self.deps.recordings.access(
            rid, who=user.name, reason=reason, action=AuditAction.LISTEN
        )
        _audit(user, f"listen:{recording.name}", item)
        headers = {"Content-Type": "audio/wav", "Cache-Control": "no-store",
                   "Content-Disposition": f'inline; filename="{recording.name}.wav"'}  # fmt: skip
        return web.FileResponse(path, headers=headers)

    async def claim(self, request: web.Request) -> web.Response:
        user = _user(request)
        item = await self.store.move(
            _id(request), "claimed", actor=user.name, action="claimed",
            why=f"claimed by {user.name}", claimed_by=user.name,
        )  # fmt: skip
        _audit(user, "claim", item)
        return ok({"followup": self._json(item)})

    async def assign(self, request: web.Request) -> web.Response:
        user, body = _user(request), await read_body(request, AssignBody)
        item = await self.store.move(
            _id(request), "claimed", actor=user.name, action="assigned",
            why=f"assigned to {body.user}: {body.why}", claimed_by=body.user,
        )  # fmt: skip
        _audit(user, f"assign:{body.user}", item)
        return ok({"followup": self._json(item)})

    async def cancel(self, request: web.Request) -> web.Response:
        user, body = _user(request), await read_body(request, CancelBody)
        item = await self.store.move(
            _id(request), "cancelled", actor=user.name, action="cancelled", why=body.why
        )
        _audit(user, "cancel", item)
        return ok({"followup": self._json(item)})

    async def close(self, request: web.Request) -> web.Response:
        user, body = _user(request), await read_body(request, CloseBody)
        why = f"{body.outcome}: {body.note}" if body.note else body.outcome
        item = await self.store.move(
            _id(request), body.status, actor=user.name, action="closed", why=why,
            outcome=body.outcome, expect_claimed_by=user.name,
        )  # fmt: skip
        _audit(user, f"close:{body.outcome}", item)
        return ok({"followup": self._json(item)})

    async def call(self, request: web.Request) -> web.Response:
        user = _user(request)
        item = await self.store.get(_id(request), with_history=False)
        if self.deps.call is None:
            raise ApiError(409, "calls-unavailable", "this server places no follow-up calls")
        item = await self.deps.call(item, user)
        _audit(user, "call", item)
        return ok({"followup": self._json(item)}, status=202)


def add_followup_routes(app: web.Application, deps: FollowupApiDeps) -> None:
    """Register the follow-ups API on `app` after `add_api_routes` (its middlewares, its
    route table: the OpenAPI document lists these routes too)."""
    routes = FollowupRoutes(deps).routes()
    app[API_ROUTES].extend(routes)
    for route in routes:
        assert route.roles is not None
        app.router.add_route(
            route.method, route.path, require_roles(*sorted(route.roles))(route.handler)
        )
