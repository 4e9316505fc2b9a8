"""Every API route: 401 without / with a bad token, 403 for a wrong role, allowed for the right
one; agents only act on themselves; no credentials in URLs or logs; the OpenAPI document lists
exactly the routes the router serves."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pytest

from ivr.web.api import API_ROUTES
from tests.integration.web.conftest import Api


@dataclass(frozen=True)
class Case:
    method: str
    template: str  # the registered path
    path: str  # a concrete path
    wrong: str | None  # a user holding none of the route's roles (None: every role may)
    right: str
    expected: int  # status for `right` in the fixture's state (cases run in order)
    body: Any = None


AGENT = {"id": "a3", "name": "Cleo", "endpoint": "PJSIP/8003", "skills": {"trading": 3}}
CASES = [
    Case("GET", "/api/session", "/api/session", None, "sue", 200),
    Case("DELETE", "/api/session", "/api/session", None, "sue", 200),
    Case("GET", "/api/openapi.json", "/api/openapi.json", None, "carl", 200),
    Case("GET", "/api/agents/{agent_id}", "/api/agents/me", "carl", "alice", 200),
    Case("POST", "/api/agents/{agent_id}/login", "/api/agents/me/login", "carl", "alice", 200),
    Case("PUT", "/api/agents/{agent_id}/state", "/api/agents/me/state", "carl", "alice", 200,
         {"state": "not_ready", "reason": "break"}),
    Case("POST", "/api/agents/{agent_id}/calls/{call_id}/accept",
         "/api/agents/me/calls/c-none/accept", "carl", "alice", 404),
    Case("POST", "/api/agents/{agent_id}/calls/{call_id}/disposition",
         "/api/agents/me/calls/c-old/disposition", "carl", "alice", 403,
         {"disposition": "resolved", "notes": "margin question"}),
    Case("GET", "/api/agents/{agent_id}/history", "/api/agents/me/history", "carl", "alice", 200),
    Case("GET", "/api/agents/{agent_id}/ws", "/api/agents/me/ws", "carl", "alice", 400),
    Case("POST", "/api/agents/{agent_id}/logout", "/api/agents/me/logout", "carl", "alice", 200),
    Case("GET", "/api/queues", "/api/queues", "alice", "sue", 200),
    Case("GET", "/api/queues/{name}", "/api/queues/general", "carl", "sue", 200),
    Case("GET", "/api/agents", "/api/agents", "alice", "sue", 200),
    Case("GET", "/api/alerts", "/api/alerts", "alice", "sue", 200),
    Case("POST", "/api/agents/{agent_id}/force-not-ready", "/api/agents/a2/force-not-ready",
         "alice", "sue", 409, {"reason": "meeting"}),
    Case("GET", "/api/calls", "/api/calls?limit=5", "alice", "carl", 200),
    Case("GET", "/api/calls/{call_id}", "/api/calls/nope", "alice", "sue", 404),
    Case("GET", "/api/admin/agents", "/api/admin/agents", "sue", "adam", 200),
    Case("POST", "/api/admin/agents", "/api/admin/agents", "sue", "adam", 201, AGENT),
    Case("DELETE", "/api/admin/agents/{agent_id}", "/api/admin/agents/a3", "sue", "adam", 200),
    Case("GET", "/api/admin/users", "/api/admin/users", "sue", "adam", 200),
    Case("POST", "/api/admin/users", "/api/admin/users", "sue", "adam", 201,
         {"name": "dora", "roles": ["supervisor"]}),
    Case("DELETE", "/api/admin/users/{name}", "/api/admin/users/bob", "sue", "adam", 200),
    Case("GET", "/api/pin-locks", "/api/pin-locks", "alice", "sue", 200),
    Case("GET", "/api/pin-locks/audit", "/api/pin-locks/audit?limit=5", "alice", "carl", 200),
    Case("POST", "/api/pin-locks/{lock_id}/unlock", "/api/pin-locks/7/unlock", "carl", "sue", 404,
         {"reason": "identity checked"}),
]  # fmt: skip
PUBLIC = {("POST", "/api/session")}


def registered(api: Api) -> set[tuple[str, str]]:
    out = set()
    for route in api.app.router.routes():
        info = route.resource.canonical if route.resource else ""
        if info.startswith("/api/") and route.method != "HEAD":
            out.add((route.method, info))
    return out


def test_the_table_covers_every_registered_route(api: Api) -> None:
    table = {(c.method, c.template) for c in CASES}
    assert table | PUBLIC == registered(api)


async def test_every_route_needs_a_valid_token_and_the_right_role(api: Api) -> None:
    for case in CASES:
        what = f"{case.method} {case.path}"
        status, body = await api.call(case.method, case.path, None, case.body)
        assert (status, body) == (401, {
            "error": "unauthorized",
            "message": "Authentication required: send a Bearer token",
            "details": {},
        }), what  # fmt: skip
        headers = {"Authorization": "Bearer not-a-token"}
        async with api.client.request(case.method, case.path, headers=headers, json=case.body) as r:
            assert r.status == 401, what
            assert await r.json() == {
                "error": "unauthorized",
                "message": "The token or session is not valid",
                "details": {},
            }
        if case.wrong is not None:
            status, body = await api.call(case.method, case.path, case.wrong, case.body)
            assert status == 403, what
            assert body["error"] == "forbidden", what
            assert set(body) == {"error", "message", "details"}
        status, body = await api.call(case.method, case.path, case.right, case.body)
        assert status == case.expected, f"{what}: {body}"


async def test_forbidden_body_names_the_roles(api: Api) -> None:
    assert await api.call("GET", "/api/admin/users", "sue") == (403, {
        "error": "forbidden",
        "message": "This needs one of the roles: admin",
        "details": {"required_roles": ["admin"]},
    })  # fmt: skip


async def test_an_agent_cannot_change_another_agent(api: Api) -> None:
    for method, path, body in [
        ("POST", "/api/agents/a2/login", None),
        ("PUT", "/api/agents/a2/state", {"state": "ready"}),
        ("POST", "/api/agents/a2/logout", None),
        ("GET", "/api/agents/a2", None),
        ("POST", "/api/agents/a2/calls/c1/disposition", {"disposition": "x"}),
    ]:
        assert await api.call(method, path, "alice", body) == (403, {
            "error": "not-your-agent",
            "message": "An agent may only act on itself",
            "details": {"agent_id": "a2"},
        }), path  # fmt: skip
    agent = await api.queues.get_agent("a2")  # type: ignore[arg-type]
    assert agent is not None
    assert agent.state.value == "logged_out"
    # its own id works like `me`; a supervisor may act on any agent
    assert (await api.call("POST", "/api/agents/a1/login", "alice"))[0] == 200
    status, body = await api.call("POST", "/api/agents/a2/login", "sue", {"ready": True})
    assert (status, body["state"]) == (200, "ready")


async def test_no_credentials_in_urls(api: Api) -> None:
    for route in api.app[API_ROUTES]:
        assert not re.search(r"token|session_id|key", route.path.replace("/api/session", ""))
    token = api.tokens["sue"]
    for name in ("token", "access_token", "api_key"):
        status, body = await api.call("GET", f"/api/queues?{name}={token}")
        assert (status, body) == (400, {
            "error": "token-in-url",
            "message": "Credentials are never accepted in the URL; "
            "send 'Authorization: Bearer <token>'",
            "details": {"parameter": name},
        })  # fmt: skip
    # even together with a valid header, a token in the URL is refused
    status, _ = await api.call("GET", f"/api/queues?token={token}", "sue")
    assert status == 400


async def test_tokens_and_sessions_never_reach_the_logs(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = list(api.tokens.values())
    await api.call("GET", "/api/queues", "sue")
    await api.call("GET", f"/api/queues?token={api.tokens['adam']}")
    status, body = await api.call("POST", "/api/admin/users", "adam", {
        "name": "eve", "roles": ["agent"], "agent_id": "a2"})  # fmt: skip
    assert status == 201
    secrets.append(body["token"])
    async with api.client.post("/api/session", json={"token": api.tokens["alice"]}) as resp:
        assert resp.status == 200
        secrets.append(resp.cookies["ivr_session"].value)
    await api.call("POST", "/api/agents/me/login", "alice")
    await api.call("DELETE", "/api/admin/users/eve", "adam")
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "user added name=eve" in logged  # the logs did capture this run
    for secret in secrets:
        assert secret not in logged


async def test_openapi_lists_every_route_with_its_roles(api: Api) -> None:
    status, doc = await api.call("GET", "/api/openapi.json", "alice")
    assert status == 200
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == registered(api)
    state = doc["paths"]["/api/agents/{agent_id}/state"]["put"]
    assert state["x-roles"] == ["admin", "agent", "supervisor"]
    assert state["requestBody"]["content"]["application/json"]["schema"]["required"] == ["state"]
    assert doc["paths"]["/api/session"]["post"]["security"] == []
    assert doc["paths"]["/api/admin/users"]["post"]["x-roles"] == ["admin"]


async def test_unknown_api_path_and_method_use_the_error_shape(api: Api) -> None:
    assert await api.call("GET", "/api/nothing-here", "sue") == (
        404,
        {"error": "not-found", "message": "Not Found", "details": {}},
    )
    status, body = await api.call("PATCH", "/api/queues", "sue")
    assert (status, body["error"]) == (405, "method-not-allowed")
