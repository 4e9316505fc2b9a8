"""The follow-ups API: who may do what (403s), refusals with their reasons, the OpenAPI document.

Items are made by the store (as the flows' promises make them); the API runs in the whole app
over HTTP with real tokens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from ivr.app import App
from ivr.call.followup_call import FollowupCalls
from ivr.followups.store import Followup, NewFollowup
from ivr.sandbox import EndpointBehavior
from ivr.sandbox.model import ChannelId
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.followups.test_followups_desk import Staff


async def item(app: App, caller: str = "13800000009", kind: str = "callback") -> Followup:
    store = app.services.followups.store
    new = NewFollowup(
        kind=kind, priority="normal", reason="market_closed", caller=caller,
        due_at=store.now() + timedelta(minutes=30),
    )  # fmt: skip
    return await store.create(new, why="test")


async def users(app: App) -> dict[str, str]:
    profile = AgentProfile(AgentId("a1"), "王敏", "PJSIP/8001", {"general": 2})
    await app.queue_store.add_agent(profile, app.clock.now_s())
    return {
        "alice": await app.users.add_user("alice", ["agent"], "a1"),
        "bob": await app.users.add_user("bob", ["agent"], "a2"),
        "sue": await app.users.add_user("sue", ["supervisor"]),
        "carl": await app.users.add_user("carl", ["compliance"]),
    }


@pytest.fixture
async def env(app_factory: AppFactory) -> AsyncIterator[tuple[App, Staff]]:
    async with app_factory() as app, aiohttp.ClientSession(base_url=app.http_url) as http:
        yield app, Staff(http, await users(app))


REFUSED = "not a telephone number: only digits, an optional leading +, spaces and hyphens"
ROLE_CASES = [
    ("POST", "claim", "sue", None),
    ("POST", "claim", "carl", None),
    ("POST", "assign", "alice", {"user": "bob", "why": "x"}),
    ("POST", "assign", "carl", {"user": "bob", "why": "x"}),
    ("POST", "cancel", "alice", {"why": "x"}),
    ("POST", "cancel", "carl", {"why": "x"}),
    ("POST", "close", "carl", {"status": "done", "outcome": "x"}),
    ("POST", "call", "sue", None),
]


async def test_roles(env: tuple[App, Staff]) -> None:
    app, api = env
    it = await item(app)
    for method, action, user, body in ROLE_CASES:
        status, reply = await api(method, f"/api/followups/{it.id}/{action}", user, body)
        assert (action, user, status, reply["error"]) == (action, user, 403, "forbidden")
    status, reply = await api("GET", "/api/followups/counts", "carl")
    assert status == 403
    for reader in ("alice", "sue", "carl"):
        status, reply = await api("GET", f"/api/followups/{it.id}", reader)
        assert (reader, status, [h["action"] for h in reply["followup"]["history"]]) == (
            reader, 200, ["created"],
        )  # fmt: skip
    async with api.http.get("/api/followups") as resp:
        assert resp.status == 401


async def test_supervisor_assigns_and_cancels_and_moves_are_checked(env: tuple[App, Staff]) -> None:
    app, api = env
    it = await item(app)
    status, reply = await api("POST", f"/api/followups/{it.id}/close", "alice",
                              {"status": "done", "outcome": "resolved"})  # fmt: skip
    assert (status, reply["error"]) == (409, "not-claimant")
    status, reply = await api("POST", f"/api/followups/{it.id}/assign", "sue",
                              {"user": "bob", "why": "speaks Cantonese"})  # fmt: skip
    assert (status, reply["followup"]["claimed_by"]) == (200, "bob")
    status, reply = await api("POST", f"/api/followups/{it.id}/close", "alice",
                              {"status": "done", "outcome": "resolved"})  # fmt: skip
    assert (status, reply["message"]) == (
        409,
        f"follow-up {it.id} is claimed by 'bob': claim it first",
    )
    status, reply = await api("POST", f"/api/followups/{it.id}/cancel", "sue", {"why": "duplicate"})
    assert (status, reply["followup"]["status"]) == (200, "cancelled")
    status, reply = await api("POST", f"/api/followups/{it.id}/claim", "alice")
    assert (status, reply["error"], reply["message"]) == (
        409, "illegal-transition",
        "cannot move a follow-up from 'cancelled' to 'claimed' (it is final)",
    )  # fmt: skip
    status, reply = await api("POST", f"/api/followups/{it.id}/close", "bob", {"status": "won"})
    assert (status, reply["error"], reply["details"]["field"]) == (400, "invalid-body", "status")
    status, reply = await api("GET", "/api/followups/999", "carl")
    assert (status, reply["error"]) == (404, "followup-not-found")
    status, reply = await api("GET", "/api/followups?kind=order", "sue")
    assert (status, reply["details"]["field"]) == (400, "kind")
    status, reply = await api("GET", f"/api/followups/{it.id}", "carl")
    assert [(h["actor"], h["action"], h["why"]) for h in reply["followup"]["history"]] == [
        ("system", "created", "test"),
        ("sue", "assigned", "assigned to bob: speaks Cantonese"),
        ("sue", "cancelled", "duplicate"),
    ]


async def test_a_refused_number_is_a_400_with_the_reason_in_the_history(
    env: tuple[App, Staff],
) -> None:
    app, api = env
    it = await item(app, caller="8001@evil")
    status, _ = await api("POST", f"/api/followups/{it.id}/claim", "alice")
    assert status == 200
    status, reply = await api("POST", f"/api/followups/{it.id}/call", "alice")
    assert (status, reply["error"], reply["message"]) == (400, "invalid-phone", REFUSED)
    status, reply = await api("GET", f"/api/followups/{it.id}", "alice")
    last = reply["followup"]["history"][-1]
    assert (last["actor"], last["action"], last["why"], reply["followup"]["status"]) == (
        "alice", "number_refused", REFUSED, "claimed",
    )  # fmt: skip
    assert app.switch is not None
    assert not [r for r in app.switch.requests if "followup" in r.params.get("appArgs", "")]


async def test_the_openapi_document_lists_the_routes_with_their_roles(
    env: tuple[App, Staff],
) -> None:
    _app, api = env
    status, doc = await api("GET", "/api/openapi.json", "sue")
    assert status == 200
    paths = doc["paths"]
    assert paths["/api/followups"]["get"]["x-roles"] == [
        "admin",
        "agent",
        "compliance",
        "supervisor",
    ]
    assert paths["/api/followups/{id}/assign"]["post"]["x-roles"] == ["admin", "supervisor"]
    assert paths["/api/followups/{id}/claim"]["post"]["x-roles"] == ["agent"]
    close = paths["/api/followups/{id}/close"]["post"]["requestBody"]
    assert set(close["content"]["application/json"]["schema"]["required"]) == {"status", "outcome"}


async def history_when_settled(app: App, item_id: int) -> list[tuple[str, str]]:
    calls = app.services.router.followups
    assert isinstance(calls, FollowupCalls)
    await until(lambda: calls.running == 0, timeout_s=30, what="the attempt over")
    detail = await app.services.followups.store.get(item_id)
    return [(h.action, h.status) for h in detail.history]


async def test_a_busy_client_puts_the_item_back_for_another_try(env: tuple[App, Staff]) -> None:
    app, api = env
    assert app.switch is not None
    app.switch.endpoints["PJSIP/13800000009"] = EndpointBehavior(busy=True)
    it = await item(app)
    await api("POST", f"/api/followups/{it.id}/claim", "alice")
    status, _ = await api("POST", f"/api/followups/{it.id}/call", "alice")
    assert status == 202
    assert await history_when_settled(app, it.id) == [
        ("created", "open"), ("claimed", "claimed"), ("calling", "in_progress"),
        ("dialing_agent", "in_progress"), ("agent_answered", "in_progress"),
        ("dialing_client", "in_progress"), ("client_unreachable", "in_progress"),
        ("not_reached", "claimed"),
    ]  # fmt: skip
    agent_leg = app.switch.channels.get(ChannelId(f"followup-{it.id}-1-agent"))
    assert agent_leg is None or agent_leg.state == "Down"  # the agent is not left on the line
    # a second attempt gets its own lane (and recording names)
    app.switch.endpoints.pop("PJSIP/13800000009")
    status, _ = await api("POST", f"/api/followups/{it.id}/call", "alice")
    assert status == 202
    calls = app.services.router.followups
    assert calls is not None
    assert calls.holds(f"followup-{it.id}-2")


async def test_an_agent_who_does_not_answer_ends_the_attempt(env: tuple[App, Staff]) -> None:
    app, api = env
    away = AgentProfile(AgentId("a3"), "Tom", "PJSIP/8002", {"general": 2})  # never answers
    await app.queue_store.add_agent(away, app.clock.now_s())
    api.tokens["tom"] = await app.users.add_user("tom", ["agent"], "a3")
    it = await item(app)
    await api("POST", f"/api/followups/{it.id}/claim", "tom")
    status, _ = await api("POST", f"/api/followups/{it.id}/call", "tom")
    assert status == 202
    history = await history_when_settled(app, it.id)
    assert history[-3:] == [
        ("dialing_agent", "in_progress"), ("agent_unreachable", "in_progress"),
        ("not_reached", "claimed"),
    ]  # fmt: skip
    assert app.switch is not None
    assert not [r for r in app.switch.requests if r.params.get("endpoint") == "PJSIP/13800000009"]
