"""The recordings API on 127.0.0.1:0 with real tokens (UserStore), a SQLite file and real files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.store.users import UserStore
from ivr.web.api_recordings import add_recording_routes
from ivr.web.auth import auth_middleware
from ivr.web.errors import error_middleware
from recordings import AuditAction, Recording, RecordingIndex

from .conftest import T0, FakeClock, write_wav

USERS = {
    "sue": (["supervisor"], None),
    "carl": (["compliance"], None),
    "alice": (["agent"], "a1"),
    "adam": (["admin"], None),
}


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    index: RecordingIndex
    sealed: Recording
    tokens: dict[str, str] = field(default_factory=dict)

    async def get(self, path: str, user: str | None = None, **params: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        async with self.client.get(path, headers=headers, params=params) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, (dict(resp.headers), await resp.read())


@pytest.fixture
async def api(
    engine: AsyncEngine, index: RecordingIndex, spool: Path, clock: FakeClock
) -> AsyncIterator[Api]:
    users = UserStore(engine)
    app = web.Application(middlewares=[error_middleware, auth_middleware(users)])
    add_recording_routes(app, index)
    rec = await index.open_recording("c1", "emergency", account="8800123456")
    sealed = await index.seal(rec.name, write_wav(spool / f"{rec.name}.wav", 2.0))
    await index.open_recording("c2", "complaint", started_at=T0 + timedelta(days=1))
    tokens = {name: await users.add_user(name, *spec) for name, spec in USERS.items()}
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    state = Api(client, index, sealed, tokens)
    try:
        yield state
    finally:
        await client.close()


async def test_download_is_audited_before_streaming(api: Api, clock: FakeClock) -> None:
    clock.at = T0 + timedelta(minutes=3)
    path = f"/api/recordings/{api.sealed.id}/file"
    status, (headers, body) = await api.get(path, "carl", reason="client dispute #88")
    assert status == 200
    assert body == api.index.path_of(api.sealed).read_bytes()
    assert headers["Content-Type"] == "audio/wav"
    assert headers["Content-Disposition"] == 'attachment; filename="c1-emergency-1.wav"'
    status, _ = await api.get(path, "sue", reason="quality review", mode="listen")
    assert status == 200
    trail = await api.index.audit_log(api.sealed.id)
    assert [(e.actor, e.action, e.recording_id, e.reason, e.at) for e in trail] == [
        ("carl", AuditAction.DOWNLOAD, api.sealed.id, "client dispute #88", clock.at),
        ("sue", AuditAction.LISTEN, api.sealed.id, "quality review", clock.at),
    ]


async def test_download_without_reason_is_400_and_not_audited(api: Api) -> None:
    status, body = await api.get(f"/api/recordings/{api.sealed.id}/file", "carl")
    assert (status, body) == (400, {
        "error": "reason-required",
        "message": "a reason is required to download a recording (it goes to the audit log)",
        "details": {"field": "reason"},
    })  # fmt: skip
    assert await api.index.audit_log() == []


@pytest.mark.parametrize("path", ["/api/recordings", "/api/recordings/1", "/api/recordings/1/file"])
async def test_401_without_token_and_403_for_other_roles(api: Api, path: str) -> None:
    status, body = await api.get(path, reason="curious")
    assert (status, body["error"]) == (401, "unauthorized")
    for user in ("alice", "adam"):
        status, body = await api.get(path, user, reason="curious")
        assert (status, body) == (403, {
            "error": "forbidden",
            "message": "This needs one of the roles: compliance, supervisor",
            "details": {"required_roles": ["compliance", "supervisor"]},
        })  # fmt: skip
    assert await api.index.audit_log() == []


async def test_search_and_details(api: Api) -> None:
    status, body = await api.get("/api/recordings", "sue")
    assert status == 200
    assert [r["name"] for r in body["recordings"]] == ["c2-complaint-1", "c1-emergency-1"]
    status, body = await api.get("/api/recordings", "sue", call="c1", purpose="emergency")
    [row] = body["recordings"]
    assert (row["account_masked"], row["sha256"], row["duration_s"]) == (
        "****3456", api.sealed.sha256, 2.0,
    )  # fmt: skip
    status, body = await api.get("/api/recordings", "sue", **{"from": "2026-11-26"})
    assert [r["name"] for r in body["recordings"]] == ["c2-complaint-1"]
    status, body = await api.get("/api/recordings", "sue", to="2026-11-26T00:00:00+08:00")
    assert [r["name"] for r in body["recordings"]] == ["c1-emergency-1"]
    status, body = await api.get("/api/recordings/1", "carl")
    assert (status, body["recording"]["status"], body["audit"]) == (200, "sealed", [])


async def test_bad_queries_missing_and_unsealed_recordings(api: Api) -> None:
    status, body = await api.get("/api/recordings", "sue", **{"from": "yesterday"})
    assert (status, body) == (400, {
        "error": "invalid-query",
        "message": "'from' must be an ISO date or time, e.g. 2026-11-25",
        "details": {"field": "from"},
    })  # fmt: skip
    status, body = await api.get("/api/recordings/42", "sue")
    assert (status, body["error"], body["details"]) == (
        404,
        "recording-not-found",
        {"recording_id": 42},
    )
    status, body = await api.get("/api/recordings/2/file", "sue", reason="check")
    assert (status, body["error"]) == (409, "recording-unavailable")
    assert body["message"] == "recording 2 is not available: it is recording"


async def test_legal_hold_is_compliance_only_and_audited(api: Api) -> None:
    url = f"/api/recordings/{api.sealed.id}/hold"
    body = {"hold": True, "reason": "court order 2026-77"}
    for user, expected in (("sue", 403), ("carl", 200)):
        headers = {"Authorization": f"Bearer {api.tokens[user]}"}
        async with api.client.put(url, json=body, headers=headers) as resp:
            assert resp.status == expected
            doc = await resp.json()
    assert (doc["recording"]["legal_hold"], doc["recording"]["hold_reason"]) == (
        True, "court order 2026-77",
    )  # fmt: skip
    trail = await api.index.audit_log(api.sealed.id)
    assert [(e.actor, e.action, e.reason) for e in trail] == [
        ("carl", AuditAction.HOLD, "court order 2026-77")
    ]
