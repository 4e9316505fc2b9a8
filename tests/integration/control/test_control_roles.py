"""Who may control or monitor a call, and the errors a wrong request gets (exact API bodies)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from ivr.sandbox import EndpointBehavior
from tests.integration.call.conftest import AppFactory
from tests.integration.control.desk import DESK, SPEED, Desk


@pytest.fixture
async def desk(app_factory: AppFactory, tmp_path: Path) -> AsyncIterator[Desk]:
    async with app_factory(speed=SPEED) as app:
        d = Desk(app, tmp_path, aiohttp.ClientSession())
        try:
            await d.add_agent("desk-1", "王敏", DESK, {"emergency_order": 4, "mandarin": 3})
            await d.add_user("wangmin", ["agent"], "desk-1")
            await d.add_user("lina", ["agent"], "gen-1")
            await d.add_user("sue", ["supervisor"])
            await d.add_user("carl", ["compliance"])
            yield d
        finally:
            await d.aclose()


async def test_only_the_agent_on_the_call_and_supervisors_act_on_it(desk: Desk) -> None:
    driver = await desk.connected_call({DESK: EndpointBehavior(answer_after_s=1)})
    key = driver.channel_id
    call = f"/api/calls/{key}"

    status, body = await desk.api("POST", f"{call}/hold", "lina")
    assert (status, body) == (
        403,
        {
            "error": "not-your-call",
            "message": "An agent may only control its own call",
            "details": {"call_id": key},
        },
    )
    status, body = await desk.api("POST", f"{call}/hold", "carl")
    assert (status, body["error"]) == (403, "forbidden")
    for user in ("wangmin", "carl", "lina"):
        status, body = await desk.api("POST", f"{call}/monitor", user, {"mode": "listen"})
        assert (status, body["error"]) == (403, "forbidden")
    status, body = await desk.api("GET", f"{call}/control/audit", "wangmin")
    assert (status, body["error"]) == (403, "forbidden")

    status, body = await desk.api("POST", f"{call}/resume", "wangmin")
    assert (status, body["error"], body["message"]) == (
        409, "call-control-refused", f"Call '{key}' is not on hold"
    )  # fmt: skip
    status, body = await desk.api(
        "POST", f"{call}/transfer", "wangmin", {"to": "queue", "queue": "nope"}
    )
    assert (status, body["error"]) == (404, "queue-not-found")
    assert body["message"].startswith("No queue 'nope' (queues: account_services, complaints,")
    status, body = await desk.api("POST", f"{call}/transfer", "wangmin", {"to": "agent"})
    assert (status, body["error"]) == (400, "invalid-body")
    status, body = await desk.api("POST", f"{call}/monitor", "sue", {"mode": "spy"})
    assert (status, body["error"]) == (400, "invalid-body")
    status, body = await desk.api("POST", f"{call}/monitor", "sue", {"mode": "listen"})
    assert (status, body) == (
        400,
        {
            "error": "invalid-monitor-request",
            "message": "endpoint: is required (your user has no agent profile with a phone)",
            "details": {"field": "endpoint"},
        },
    )
    status, body = await desk.api(
        "POST", f"{call}/monitor", "sue", {"mode": "listen", "endpoint": "PJSIP/9001;x"}
    )
    assert (status, body["error"]) == (400, "invalid-monitor-request")
    assert body["message"] == (
        "endpoint: 'PJSIP/9001;x' is not a phone endpoint; write it as PJSIP/9001"
    )

    status, body = await desk.api("GET", f"{call}/control", "wangmin")
    assert (status, body) == (
        200,
        {"call_id": key, "agent_id": "desk-1", "queue": "trading_desk",
         "priority": "emergency", "on_hold": False,
         "transfer_queues": ["account_services", "complaints", "english", "general",
                             "trading_desk", "trading_support", "vip"], "transfer": None},
    )  # fmt: skip
    status, body = await desk.api("GET", f"{call}/control/audit", "carl")
    assert (status, body) == (200, {"call_id": key, "audit": []})  # refusals change nothing

    status, body = await desk.api("POST", "/api/calls/no-such-call/hold", "sue")
    assert (status, body["error"]) == (404, "call-not-connected")
    async with desk.http.post(desk.app.http_url.rstrip("/") + f"{call}/hold") as resp:
        assert resp.status == 401
    driver.hang_up()
    await driver.ended(timeout_s=60)
