"""The agent desk over HTTP: the websocket screen pop of a reserved call, accept, wrap-up
ended by the disposition, history; browser sessions; admin validation; supervisor views."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError, web

from ivr.web.api_agents import WEBSOCKETS
from queueing.config import PriorityClass
from queueing.model import AgentState
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.web.conftest import T0, Api

INFO = {
    "caller": "13800138000",
    "account": "8801234567",
    "vip_tier": "gold",
    "language": "zh-CN",
    "ivr_path": '["main", "trading", "agent"]',
    "intent": "order_status",
    "priority": "emergency",
    "order": '{"contract": "rb2510", "direction": "sell", "lots": 3}',
    "pin": "123456",
    "branch": "SH",
}


async def next_json(ws: Any, type_: str) -> dict[str, Any]:
    """The next message of `type_` (others skipped), within 5 s."""
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.TEXT, msg
        data: dict[str, Any] = msg.json()
        if data["type"] == type_:
            return data


async def offer_to_a1(api: Api) -> None:
    await api.queues.login(AgentId("a1"), T0, ready=True)
    api.clock.t = T0 + 10
    await api.queues.enqueue(
        CallKey("c-1"), "trading_support", PriorityClass.EMERGENCY, T0 + 10, INFO
    )
    api.clock.t = T0 + 52.5
    offers = await api.queues.route(api.clock.t)
    assert [(o.call_id, o.agent_id) for o in offers] == [("c-1", "a1")]


async def test_websocket_pushes_the_screen_pop_of_a_call_reserved_for_the_agent(api: Api) -> None:
    async with api.client.ws_connect("/api/agents/me/ws", headers=api.auth("alice")) as ws:
        hello = await next_json(ws, "state")
        assert (hello["agent_id"], hello["state"]) == ("a1", "logged_out")
        await offer_to_a1(api)
        offer = await next_json(ws, "offer")
    assert offer["call_id"] == "c-1"
    assert offer["ring_timeout_s"] == 15
    assert offer["screen_pop"] == {
        "call_id": "c-1",
        "queue": "trading_support",
        "caller": "13800138000",
        "account": "****4567",
        "vip_tier": "gold",
        "language": "zh-CN",
        "ivr_path": ["main", "trading", "agent"],
        "intent": "order_status",
        "wait_s": 42.5,
        "priority": "emergency",
        "emergency": True,
        "verified": False,
        "reason": None,
        "callback": None,
        "order": {"contract": "rb2510", "direction": "sell", "lots": 3},
        "extra": {"branch": "SH"},
    }


async def test_another_agents_offer_is_not_pushed_and_a_late_socket_gets_the_pending_offer(
    api: Api,
) -> None:
    async with api.client.ws_connect("/api/agents/me/ws", headers=api.auth("bob")) as bob:
        await next_json(bob, "state")
        await offer_to_a1(api)
        async with api.client.ws_connect("/api/agents/me/ws", headers=api.auth("alice")) as ws:
            assert (await next_json(ws, "state"))["state"] == "reserved"
            assert (await next_json(ws, "offer"))["screen_pop"]["caller"] == "13800138000"
        await api.queues.login(AgentId("a2"), api.clock.t, ready=True)
        assert (await next_json(bob, "state"))["state"] == "ready"  # bob saw only his own


async def test_accept_then_disposition_ends_wrap_up_and_shows_in_history(api: Api) -> None:
    await offer_to_a1(api)
    status, body = await api.call("POST", "/api/agents/me/calls/c-1/accept", "alice")
    assert (status, body) == (200, {"call_id": "c-1", "agent_id": "a1", "accepted": True})
    assert (await api.call("POST", "/api/agents/me/calls/c-1/accept", "bob"))[0] == 409
    await api.queues.answer(CallKey("c-1"), AgentId("a1"), api.clock.t)
    status, body = await api.call("GET", "/api/agents/me", "alice")
    assert (body["state"], body["current_call"]["call_id"]) == ("on_call", "c-1")
    early = await api.call("POST", "/api/agents/me/calls/c-1/disposition", "alice",
                           {"disposition": "resolved"})  # fmt: skip
    assert early[1]["error"] == "call-in-progress"
    api.clock.t += 60
    await api.queues.end_call(CallKey("c-1"), api.clock.t)
    agent = await api.queues.get_agent(AgentId("a1"))
    assert agent is not None
    assert agent.state is AgentState.WRAP_UP
    api.clock.t += 5
    done = {"disposition": "order_placed", "notes": "sold 3 rb2510"}
    status, body = await api.call("POST", "/api/agents/me/calls/c-1/disposition", "alice", done)
    assert status == 200
    assert body["agent"]["state"] == "ready"
    assert body["disposition"]["disposition"] == "order_placed"
    agent = await api.queues.get_agent(AgentId("a1"))
    assert agent is not None
    assert agent.state is AgentState.READY
    again = await api.call("POST", "/api/agents/me/calls/c-1/disposition", "alice",
                           {"disposition": "x"})  # fmt: skip
    assert again[1]["error"] == "already-dispositioned"
    status, history = await api.call("GET", "/api/agents/me/history", "alice")
    assert history["agent_id"] == "a1"
    assert [(c["call_id"], c["disposition"], c["notes"]) for c in history["calls"]] == [
        ("c-1", "order_placed", "sold 3 rb2510")
    ]
    assert history["calls"][0]["at"] == "2025-11-24T16:01:57.500000+00:00"


async def test_state_changes_with_reason_codes_and_bad_bodies(api: Api) -> None:
    assert (await api.call("POST", "/api/agents/me/login", "alice"))[1]["state"] == "not_ready"
    status, body = await api.call("PUT", "/api/agents/me/state", "alice", {"state": "not_ready"})
    assert (status, body) == (400, {
        "error": "invalid-body",
        "message": "field 'reason': is required when state is not_ready",
        "details": {"field": "reason"},
    })  # fmt: skip
    status, body = await api.call("PUT", "/api/agents/me/state", "alice",
                                  {"state": "not_ready", "reason": "training"})  # fmt: skip
    assert (status, body["state"], body["reason"]) == (200, "not_ready", "training")
    async with api.client.put(
        "/api/agents/me/state", data=b"{nope", headers=api.auth("alice")
    ) as r:
        assert (r.status, await r.json()) == (400, {
            "error": "invalid-body",
            "message": "field '(body)': is not valid JSON",
            "details": {"field": "(body)"},
        })  # fmt: skip


async def test_supervisor_force_not_ready_and_queue_views(api: Api) -> None:
    await api.call("POST", "/api/agents/a2/login", "sue", {"ready": True})
    api.clock.t = T0 + 100
    await api.queues.enqueue(CallKey("w1"), "general", PriorityClass.NORMAL, T0 + 90, INFO)
    status, body = await api.call("POST", "/api/agents/a2/force-not-ready", "sue",
                                  {"reason": "meeting"})  # fmt: skip
    assert (status, body["state"], body["reason"]) == (200, "not_ready", "meeting")
    status, body = await api.call("GET", "/api/queues/general", "sue")
    assert status == 200
    assert (body["waiting"], body["longest_wait_s"]) == (1, 10.0)
    assert body["agents_by_state"]["not_ready"] == 1
    assert body["calls"][0]["info"]["account"] == "****4567"
    assert "pin" not in body["calls"][0]["info"]
    status, body = await api.call("GET", "/api/agents", "sue")
    assert [(a["agent_id"], a["state"], a["time_in_state_s"]) for a in body["agents"]] == [
        ("a1", "logged_out", 100.0),
        ("a2", "not_ready", 0.0),
    ]
    assert (await api.call("GET", "/api/queues/nope", "sue"))[1] == {
        "error": "queue-not-found",
        "message": "No queue 'nope'",
        "details": {"queue": "nope"},
    }


async def test_store_refusals_reach_the_client_by_type(api: Api) -> None:
    await offer_to_a1(api)  # a1 is reserved: its state is the queues' to change
    busy = {
        "error": "agent-busy",
        "message": "agent 'a1' is busy with a call; try after it ends",
        "details": {"agent_id": "a1"},
    }
    assert await api.call("POST", "/api/agents/a1/force-not-ready", "sue",
                          {"reason": "meeting"}) == (409, busy)  # fmt: skip
    assert await api.call("PUT", "/api/agents/me/state", "alice", {"state": "ready"}) == (409, busy)
    assert await api.call("POST", "/api/agents/me/logout", "alice") == (409, busy)
    assert await api.call("DELETE", "/api/admin/agents/a1", "adam") == (409, {
        "error": "agent-logged-in",
        "message": "Agent 'a1' is logged in; log it out first",
        "details": {"agent_id": "a1"},
    })  # fmt: skip
    assert await api.call("DELETE", "/api/admin/agents/a9", "adam") == (404, {
        "error": "agent-not-found",
        "message": "No agent 'a9'",
        "details": {"agent_id": "a9"},
    })  # fmt: skip
    assert await api.call("DELETE", "/api/admin/agents/a2", "adam") == (200, {
        "agent_id": "a2",
        "removed": True,
    })  # fmt: skip


async def test_admin_agent_validation_names_the_field(api: Api) -> None:
    bad = {"id": "a9", "name": "N", "endpoint": "PJSIP/8009", "skills": {"trading": 7}}
    assert await api.call("POST", "/api/admin/agents", "adam", bad) == (400, {
        "error": "invalid-body",
        "message": "field 'skills.trading': level 7 is outside 1-5",
        "details": {"field": "skills.trading"},
    })  # fmt: skip
    bad["skills"] = {"tradng": 3}
    assert (await api.call("POST", "/api/admin/agents", "adam", bad))[1]["message"] == (
        "field 'skills.tradng': unknown skill 'tradng' (did you mean 'trading'?)"
    )
    good = {"id": "a1", "name": "Alice L.", "endpoint": "PJSIP/8101", "skills": {"general": 5}}
    status, body = await api.call("POST", "/api/admin/agents", "adam", good)
    assert (status, body["name"], body["skills"]) == (200, "Alice L.", {"general": 5})
    await api.call("POST", "/api/agents/a1/login", "adam")
    assert (await api.call("DELETE", "/api/admin/agents/a1", "adam"))[1]["error"] == (
        "agent-logged-in"
    )


async def test_browser_session_cookie_login_use_and_logout(api: Api) -> None:
    client = api.client
    async with client.post("/api/session", json={"token": "wrong"}) as resp:
        assert resp.status == 401
    async with client.post("/api/session", json={"token": api.tokens["alice"]}) as resp:
        assert resp.status == 200
        morsel = resp.cookies["ivr_session"]
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Strict"
        assert morsel.value != api.tokens["alice"]
    async with client.get("/api/agents/me") as resp:  # the cookie jar sends the session
        assert (resp.status, (await resp.json())["agent_id"]) == (200, "a1")
    async with client.get("/api/queues") as resp:
        assert resp.status == 403
    origin = {"Origin": "http://evil.example"}
    async with client.post("/api/agents/me/login", headers=origin) as resp:
        assert (resp.status, (await resp.json())["error"]) == (403, "cross-origin")
    async with client.post("/api/agents/me/login") as resp:
        assert resp.status == 200
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/api/agents/me/ws", headers=origin)
    assert refused.value.status == 403
    async with client.ws_connect("/api/agents/me/ws") as ws:  # same origin: the page's own
        assert (await next_json(ws, "state"))["state"] == "not_ready"
    async with client.delete("/api/session") as resp:
        assert resp.status == 200
    client.session.cookie_jar.update_cookies({"ivr_session": morsel.value})
    async with client.get("/api/agents/me") as resp:
        assert resp.status == 401  # the session ended server-side too


async def test_websocket_closes_on_app_shutdown(api: Api) -> None:
    async with api.client.ws_connect("/api/agents/me/ws", headers=api.auth("alice")) as ws:
        await next_json(ws, "state")
        sockets: set[web.WebSocketResponse] = api.app[WEBSOCKETS]
        await until(lambda: len(sockets) == 1, what="socket registered")
        await api.app.shutdown()
        msg = await ws.receive(timeout=5)
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
