"""The promise kept end to end: a captured phone order is claimed and called back.

An emergency caller with no desk agent free captures an order by keypad and voice: a
`phone_order` item with its fields and recordings, and a wallboard alert carrying the item.
A desk agent (API token) lists it first, claims it, asks for the agent-first callback: the app
rings the agent's phone, then the client through the `calls.outbound_dial` trunk template,
bridges them and records the call (purpose `callback`, sealed); the client hangs up; the agent
closes the item with an outcome; compliance reads a history with every step. Everything over
real sockets: sandbox switch, ARI websocket, HTTP API, Redis and SQLite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from ivr.app import App
from ivr.followups.store import Followup
from ivr.sandbox.model import BridgeId
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.integration.call.test_call_recording import spoken_order

CALLER = "13800000009"
LOGIN = "12345678#,123456"
ORDER = "1,2505,1,2,1,3580*5#,2#,1"  # rebar 2505, buy, close, limit 3580.5, 2 lots, confirm
SPEED = 20.0  # as the recording tests: the sealed recording must cover its span (1 s grace)


class Staff:
    def __init__(self, http: aiohttp.ClientSession, tokens: dict[str, str]) -> None:
        self.http, self.tokens = http, tokens

    async def __call__(
        self, method: str, path: str, user: str, body: Any = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        async with self.http.request(method, path, headers=headers, json=body) as resp:
            return resp.status, await resp.json()


async def capture_order(app: App, tmp_path: Path) -> str:
    driver = await CallDriver.dial(app, dialed="95556", caller=CALLER)
    call_id = driver.session.call_id
    # 1: Mandarin (95556 asks the language first); no desk agent: the desk queue gives up, the
    # order is captured
    await driver.run("1," + LOGIN)
    await driver.run(ORDER)
    await until(lambda: driver.session.recordings.recording_channel, what="the voice order")
    await driver.call.say(spoken_order(tmp_path / "order.wav"))
    assert app.switch is not None
    app.switch.press(app.switch.channel(driver.channel_id), "#")
    assert (await driver.ended(timeout_s=120)).ended_by == "app"
    return call_id


async def staff(app: App) -> dict[str, str]:
    store, now = app.queue_store, app.clock.now_s()
    desk = AgentProfile(AgentId("desk-1"), "王敏", "PJSIP/8001", {"emergency_order": 4})
    await store.add_agent(desk, now)
    return {
        "wang": await app.users.add_user("wang", ["agent"], "desk-1"),
        "li": await app.users.add_user("li", ["agent"], "desk-2"),
        "sue": await app.users.add_user("sue", ["supervisor"]),
        "carl": await app.users.add_user("carl", ["compliance"]),
    }


async def test_a_captured_order_is_claimed_called_back_recorded_and_closed(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    async with app_factory(speed=SPEED) as app:
        call_id = await capture_order(app, tmp_path)
        [item] = await app.services.followups.store.search(call_id=call_id)
        events = await app.queue_store.events()
        alerts = [
            dict(e.fields)
            for e in events
            if e.type == "alert" and e.fields.get("kind") == "followup"
        ]
        assert [a["followup_id"] for a in alerts] == [str(item.id)]
        tokens = await staff(app)
        async with aiohttp.ClientSession(base_url=app.http_url) as http:
            api = Staff(http, tokens)
            await keep_the_promise(app, api, item)


async def keep_the_promise(app: App, api: Staff, item: Followup) -> None:
    switch = app.switch
    assert switch is not None
    status, body = await api("GET", "/api/followups?status=open", "wang")
    assert status == 200
    first = body["followups"][0]
    assert (first["id"], first["kind"], first["account"]) == (item.id, "phone_order", "****5678")
    assert first["order"] == {
        "product": "rb", "month": "2505", "direction": "buy", "offset": "close",
        "price_type": "limit", "price": "3580.5", "lots": "2",
    }  # fmt: skip
    assert "12345678" not in json.dumps(body)
    status, body = await api("GET", f"/api/followups/{item.id}", "wang")
    plays = {r["purpose"]: r["play"] for r in body["followup"]["recordings"]}
    assert set(plays) == {"emergency", "voice_order"}
    status, _ = await api("GET", plays["voice_order"], "wang")
    assert status == 403  # not claimed yet

    status, body = await api("POST", f"/api/followups/{item.id}/claim", "wang")
    assert (status, body["followup"]["status"]) == (200, "claimed")
    headers = {"Authorization": f"Bearer {api.tokens['wang']}"}
    async with api.http.get(plays["voice_order"] + "?reason=confirm", headers=headers) as resp:
        assert (resp.status, resp.content_type) == (200, "audio/wav")
    status, body = await api("POST", f"/api/followups/{item.id}/call", "li")
    assert (status, body["error"]) == (409, "not-claimant")
    status, body = await api("POST", f"/api/followups/{item.id}/call", "wang")
    assert (status, body["followup"]["status"]) == (202, "in_progress")

    key = f"followup-{item.id}-1"
    bridge = BridgeId(f"{key}-bridge")
    await until(
        lambda: bridge in switch.bridges and len(switch.bridges[bridge].channels) == 2,
        timeout_s=30, what="agent and client bridged",
    )  # fmt: skip
    dialled = [
        r.params["endpoint"]
        for r in switch.requests
        if r.method == "POST" and r.params.get("appArgs") == f"followup,{key}"
    ]
    assert dialled == ["PJSIP/8001", f"PJSIP/{CALLER}"]  # the agent first, then the client

    async def recording() -> bool:
        detail = await app.services.followups.store.get(item.id)
        return "recording" in [h.action for h in detail.history]

    await until(recording, timeout_s=30, what="the callback recorded")
    await switch.clock.sleep(10.0)  # they talk a little
    switch.hangup(f"{key}-client")
    calls = app.services.router.followups
    assert calls is not None
    await until(lambda: not calls.holds(key), timeout_s=30, what="the callback ended")

    status, body = await api(
        "POST", f"/api/followups/{item.id}/close", "wang",
        {"status": "done", "outcome": "order_confirmed", "note": "client confirmed; keyed"},
    )  # fmt: skip
    assert (status, body["followup"]["status"], body["followup"]["outcome"]) == (
        200, "done", "order_confirmed",
    )  # fmt: skip
    status, body = await api("GET", f"/api/followups/{item.id}", "carl")
    history = body["followup"]["history"]
    assert [(h["actor"], h["action"], h["status"]) for h in history] == [
        ("system", "created", "open"),
        ("system", "callback_booked", "open"),
        ("wang", "claimed", "claimed"),
        ("wang", "calling", "in_progress"),
        ("wang", "dialing_agent", "in_progress"),
        ("wang", "agent_answered", "in_progress"),
        ("wang", "dialing_client", "in_progress"),
        ("wang", "bridged", "in_progress"),
        ("wang", "recording", "in_progress"),
        ("wang", "call_ended", "in_progress"),
        ("system", "recording_sealed", "in_progress"),
        ("wang", "closed", "done"),
    ]
    assert history[-3]["why"].startswith("the client hung up after ")
    recorded = [r for r in body["followup"]["recordings"] if r["purpose"] == "callback"]
    assert [(r["name"], r["status"]) for r in recorded] == [
        (f"followup_{item.id}_1-callback-1", "sealed")
    ]
    assert await app.recordings.verify() == []
