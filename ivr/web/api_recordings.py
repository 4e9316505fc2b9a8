"""HTTP API of call recordings: search, details, listen/download (audited), legal hold.

Routes (roles `supervisor` or `compliance` only, through `require_roles`; legal hold:
`compliance` only):
- `GET /api/recordings?call=&purpose=&from=&to=&limit=`: search, newest first. `from`/`to`
  are ISO dates or times (local hotline time when naive); `to` is exclusive.
- `GET /api/recordings/{id}`: one recording with its audit trail.
- `GET /api/recordings/{id}/file?reason=...[&mode=listen|download]`: the WAV file. A reason is
  required; the audit row (who, when, which, why) is written BEFORE a byte is streamed.
- `PUT /api/recordings/{id}/hold` `{"hold": true|false, "reason": "..."}`: legal hold, audited.

Rules: errors in the one API shape: 400 `invalid-query` / `invalid-body` (`ApiError`), and the
typed errors of `recordings` mapped by kind (`ivr.web.errors`): 400 `reason-required`, 404
`recording-not-found`, 409 `recording-unavailable`; any other recordings error is 400
`recordings-error`. Call
`add_recording_routes(app, index)` after `add_api_routes` (which installs the error and auth
middlewares these handlers rely on).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from ivr.web.api import API_ROUTES
from ivr.web.api_common import Route
from ivr.web.auth import ROLE_COMPLIANCE, ROLE_SUPERVISOR, current_user, require_roles
from ivr.web.errors import ApiError, status_of
from ivr.web.ints import path_int, query_int
from recordings import (
    AuditAction,
    AuditEntry,
    RecordingIndex,
    RecordingsError,
)

READ_ROLES: Final = (ROLE_SUPERVISOR, ROLE_COMPLIANCE)
HOLD_ROLES: Final = (ROLE_COMPLIANCE,)
MAX_LIMIT: Final = 500
INDEX_KEY: Final = web.AppKey("ivr_recording_index", RecordingIndex)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
        "action": entry.action.value, "reason": entry.reason,
    }  # fmt: skip


def _translated(handler: Handler) -> Handler:
    """Typed recordings errors pass to the error middleware (by kind); one of no kind (a bad
    name, purpose or actor) is about the request: 400 `recordings-error`."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except RecordingsError as exc:
            if status_of(exc) is not None:
                raise
            raise ApiError(400, "recordings-error", str(exc)) from None

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def _recording_id(request: web.Request) -> int:
    return path_int(request, "id", 1, 2**63 - 1)


def _when(request: web.Request, name: str, zone: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw) if "T" in raw or " " in raw else None
        value = value or datetime.combine(date.fromisoformat(raw), datetime.min.time())
    except ValueError:
        raise ApiError(
            400, "invalid-query", f"'{name}' must be an ISO date or time, e.g. 2026-11-25",
            field=name,
        ) from None  # fmt: skip
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


def _limit(request: web.Request) -> int:
    return query_int(request, "limit", 100, 1, MAX_LIMIT)


def _who(request: web.Request) -> str:
    user = current_user(request)
    assert user is not None  # require_roles ran first
    return user.name


async def search_recordings(request: web.Request) -> web.StreamResponse:
    index = request.app[INDEX_KEY]
    zone = index.policy.timezone
    rows = await index.search(
        call_id=request.query.get("call") or None,
        purpose=request.query.get("purpose") or None,
        started_from=_when(request, "from", zone),
        started_to=_when(request, "to", zone),
        limit=_limit(request),
    )
    return web.json_response({"recordings": [r.as_json() for r in rows]})


async def get_recording(request: web.Request) -> web.StreamResponse:
    index = request.app[INDEX_KEY]
    recording = await index.get(_recording_id(request))
    trail = [_audit_json(e) for e in await index.audit_log(recording.id)]
    return web.json_response({"recording": recording.as_json(), "audit": trail})


async def recording_file(request: web.Request) -> web.StreamResponse:
    """Audit first (who, when, which, why), then stream the WAV."""
    index = request.app[INDEX_KEY]
    mode = request.query.get("mode", "download")
    if mode not in ("listen", "download"):
        message = "'mode' must be 'listen' or 'download'"
        raise ApiError(400, "invalid-query", message, field="mode")
    recording, path = await index.access(
        _recording_id(request),
        who=_who(request),
        reason=request.query.get("reason", ""),
        action=AuditAction(mode),
    )
    disposition = "inline" if mode == "listen" else "attachment"
    headers = {
        "Content-Type": "audio/wav",
        "Content-Disposition": f'{disposition}; filename="{recording.name}.wav"',
        "Cache-Control": "no-store",
    }
    return web.FileResponse(path, headers=headers)


async def _hold_body(request: web.Request) -> tuple[bool, str]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "invalid-body", "the body must be JSON") from None
    hold = body.get("hold") if isinstance(body, dict) else None
    if not isinstance(hold, bool):
        raise ApiError(400, "invalid-body", "field 'hold' must be true or false", field="hold")
    reason = body.get("reason")
    return hold, reason if isinstance(reason, str) else ""


async def set_hold(request: web.Request) -> web.StreamResponse:
    index = request.app[INDEX_KEY]
    hold, reason = await _hold_body(request)
    recording = await index.set_legal_hold(_recording_id(request), hold, reason, _who(request))
    return web.json_response({"recording": recording.as_json()})


ROUTES: Final = (
    Route("GET", "/api/recordings", search_recordings, frozenset(READ_ROLES), "Search recordings",
          query=("call:string", "purpose:string", "from:string", "to:string", "limit")),
    Route("GET", "/api/recordings/{id}", get_recording, frozenset(READ_ROLES),
          "One recording with its audit trail"),
    Route("GET", "/api/recordings/{id}/file", recording_file, frozenset(READ_ROLES),
          "Listen/download (audited first; reason required)",
          query=("mode:string", "reason:string")),
    Route("PUT", "/api/recordings/{id}/hold", set_hold, frozenset(HOLD_ROLES),
          "Legal hold on/off {hold, reason} (audited)"),
)  # fmt: skip


def add_recording_routes(app: web.Application, index: RecordingIndex) -> None:
    """Register the recordings API on `app` (before its runner starts), and in its OpenAPI
    table when the staff API is there (`add_api_routes` first)."""
    app[INDEX_KEY] = index
    for route in ROUTES:
        roles = sorted(route.roles or ())
        app.router.add_route(
            route.method, route.path, require_roles(*roles)(_translated(route.handler))
        )
    if API_ROUTES in app:
        app[API_ROUTES].extend(ROUTES)
