"""Pure parts of the API: screen pop, account masking, body errors, auth and error shapes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from types import MappingProxyType

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ivr.errors import IvrError
from ivr.queue.feed import mask_account, masked_info, screen_pop
from ivr.web.api_body import AgentBody, StateBody, UserBody, parse
from ivr.web.auth import ApiUser, auth_middleware, current_user, require_roles, roles_of
from ivr.web.errors import ApiError, error_middleware, json_error
from queueing.config import PriorityClass
from queueing.errors import AgentBusy, StoreUnavailable
from queueing.model import CallRecord, QueueCallState
from queueing.policy import AgentId, CallKey
from recordings.errors import AuditReasonMissing, RecordingNotFound


def call(priority: PriorityClass, **info: str) -> CallRecord:
    return CallRecord(
        CallKey("c9"), "vip", priority, QueueCallState.OFFERED, 100.0, 100.0, AgentId("a1"),
        MappingProxyType(info),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("account", "masked"),
    [("8801234567", "****4567"), ("1234", "****"), ("88*****567", "*****567"), ("", None)],
)
def test_mask_account(account: str, masked: str | None) -> None:
    assert mask_account(account) == masked


def test_screen_pop_of_a_plain_call_has_every_field() -> None:
    pop = screen_pop(call(PriorityClass.VIP, caller="139", ivr_path="main>vip"), 112.34)
    assert pop == {
        "call_id": "c9", "queue": "vip", "caller": "139", "account": None, "vip_tier": None,
        "language": None, "ivr_path": "main>vip", "intent": None, "wait_s": 12.3,
        "priority": "vip", "emergency": False, "verified": False, "reason": None,
        "callback": None, "order": None, "extra": {},
    }  # fmt: skip


def test_secret_named_info_never_reaches_the_agent_or_supervisor() -> None:
    pop = screen_pop(call(PriorityClass.NORMAL, pin="1234", api_token="t", emergency="yes"), 0)
    assert pop["extra"] == {}
    assert pop["emergency"] is True
    assert masked_info({"pin": "1", "account": "99887766", "x": "y"}) == {
        "account": "****7766",
        "x": "y",
    }


@pytest.mark.parametrize(
    ("model", "data", "message", "field"),
    [
        (AgentBody, {"id": "a", "name": "n", "endpoint": "PJSIP/1", "skills": {"x": 0}},
         "field 'skills.x': level 0 is outside 1-5", "skills.x"),
        (AgentBody, {"id": "a", "name": "", "endpoint": "PJSIP/1"},
         "field 'name': string should have at least 1 character", "name"),
        (AgentBody, {"name": "n", "endpoint": "PJSIP/1"}, "field 'id': is required", "id"),
        (StateBody, {"state": "ready", "reason": "lunch"},
         "field 'reason': input should be 'break', 'training', 'meeting' or 'after_call_work'",
         "reason"),
        (UserBody, {"name": "x", "roles": []},
         "field 'roles': list should have at least 1 item after validation, not 0", "roles"),
    ],
)  # fmt: skip
def test_bad_bodies_name_the_field(model: type, data: dict[str, object], message: str, field: str):
    with pytest.raises(ApiError) as info:
        parse(model, data)
    assert (info.value.status, info.value.error_id) == (400, "invalid-body")
    assert (info.value.message, info.value.details) == (message, {"field": field})


class FakeUsers:
    async def verify(self, token: str) -> ApiUser | None:
        return ApiUser("sue", frozenset({"supervisor"})) if token == "good" else None

    async def verify_session(self, session_token: str) -> ApiUser | None:
        return None


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    @require_roles("supervisor")
    async def board(request: web.Request) -> web.Response:
        user = current_user(request)
        assert user is not None
        return web.json_response({"hello": user.name})

    @require_roles("admin")
    async def admin(request: web.Request) -> web.Response:
        return web.json_response({})

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    async def teapot(request: web.Request) -> web.Response:
        return json_error(418, "teapot", "I am a teapot", size="small")

    async def typed(request: web.Request) -> web.Response:
        raise TYPED[request.match_info["which"]]

    app = web.Application(middlewares=[error_middleware, auth_middleware(FakeUsers())])
    app.router.add_get("/api/board", board)
    app.router.add_get("/api/admin", admin)
    app.router.add_get("/api/boom", boom)
    app.router.add_get("/api/teapot", teapot)
    app.router.add_get("/api/typed/{which}", typed)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_require_roles_and_error_shapes(client: TestClient[web.Request, web.Application]):
    async with client.get("/api/board", headers={"Authorization": "Bearer good"}) as r:
        assert (r.status, await r.json()) == (200, {"hello": "sue"})
    async with client.get("/api/board", headers={"Authorization": "Basic good"}) as r:
        assert r.status == 401
    async with client.get("/api/admin", headers={"Authorization": "Bearer good"}) as r:
        assert r.status == 403
    async with client.get("/api/teapot") as r:
        body = await r.json()
        teapot = {"error": "teapot", "message": "I am a teapot", "details": {"size": "small"}}
        assert (r.status, body) == (418, teapot)


async def test_unexpected_errors_are_logged_and_a_bare_500(
    client: TestClient[web.Request, web.Application], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ivr.web.errors"):
        async with client.get("/api/boom") as r:
            bare = {"error": "internal-error", "message": "Internal server error", "details": {}}
            assert (r.status, await r.json()) == (500, bare)
    (record,) = caplog.records
    assert record.getMessage() == "unexpected error serving GET /api/boom"
    assert record.exc_info is not None


TYPED: dict[str, IvrError] = {
    "busy": AgentBusy("a1"),
    "missing": RecordingNotFound(42),
    "reason": AuditReasonMissing("listen"),
    "down": StoreUnavailable("queue store: get_agent failed: Error 111 connecting to /run/r.sock"),
    "kindless": IvrError("an internal detail"),
}


@pytest.mark.parametrize(
    ("which", "status", "body"),
    [
        ("busy", 409, {
            "error": "agent-busy",
            "message": "agent 'a1' is busy with a call; try after it ends",
            "details": {"agent_id": "a1"},
        }),
        ("missing", 404, {
            "error": "recording-not-found",
            "message": "no recording 42; `ivr recordings list` shows the indexed ones",
            "details": {"recording_id": 42},
        }),
        ("reason", 400, {
            "error": "reason-required",
            "message": "a reason is required to listen a recording (it goes to the audit log)",
            "details": {"field": "reason"},
        }),
        ("down", 503, {
            "error": "queue-store-unavailable",
            "message": "The queue store is unavailable",
            "details": {},
        }),
    ],
)  # fmt: skip
async def test_errors_raised_on_purpose_are_mapped_by_kind(
    client: TestClient[web.Request, web.Application],
    caplog: pytest.LogCaptureFixture,
    which: str,
    status: int,
    body: dict[str, object],
) -> None:
    with caplog.at_level(logging.WARNING, logger="ivr.web.errors"):
        async with client.get(f"/api/typed/{which}") as r:
            assert (r.status, await r.json()) == (status, body)
    logged = [record.getMessage() for record in caplog.records]
    if which == "down":  # the backend's text goes to the log, never to the client
        assert logged == [
            "unavailable serving GET /api/typed/down: "
            "queue store: get_agent failed: Error 111 connecting to /run/r.sock"
        ]
    else:
        assert logged == []


async def test_an_error_of_no_kind_is_a_bare_500(
    client: TestClient[web.Request, web.Application], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ivr.web.errors"):
        async with client.get("/api/typed/kindless") as r:
            bare = {"error": "internal-error", "message": "Internal server error", "details": {}}
            assert (r.status, await r.json()) == (500, bare)
    (record,) = caplog.records
    assert record.getMessage() == "unexpected error serving GET /api/typed/kindless"
    assert record.exc_info is not None


def test_require_roles_marks_the_handler_and_refuses_unknown_roles() -> None:
    async def h(request: web.Request) -> web.Response:
        return web.Response()

    assert roles_of(require_roles("agent", "admin")(h)) == frozenset({"agent", "admin"})
    assert roles_of(h) is None
    with pytest.raises(ValueError, match="known roles"):
        require_roles("root")
