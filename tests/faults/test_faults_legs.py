"""Fault case 6, and the rule behind it: legs the app originates are tagged and routed to their
owner, never taken for new calls.

A callback's agent leg and client leg are dialled after the requester hung up (the caller's
session has ended): they must still reach the queue hand-off (bridged, hearing each other) and
must never open a session (no answer, no menu prompt played to them). A tagged leg whose owner
is gone is hung up.
"""

from __future__ import annotations

import logging

import pytest

from ivr.app import App
from ivr.sandbox.model import BridgeId
from queueing.model import AgentProfile, QueueCallState
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import WaitingApp, app_factory, tts_cache, waiting_app
from tests.integration.waiting.test_waiting_callers import (
    ANNOUNCEMENT,
    CALLER,
    crowd_general,
    handoff_of,
    media_of,
)

__all__ = ["app_factory", "tts_cache", "waiting_app"]  # the fixtures of the waiting-caller tests


def touched(app: App, channel: str) -> list[str]:
    """The REST requests the app made on `channel` itself (answer, play, hang-up...)."""
    assert app.switch is not None
    return [
        f"{r.method} {r.path}"
        for r in app.switch.requests
        if r.path.startswith(f"/channels/{channel}/") or r.path == f"/channels/{channel}"
    ]


async def test_callback_legs_after_the_requester_hung_up_are_bridged_not_menued(
    waiting_app: WaitingApp,
) -> None:
    async with waiting_app() as app:
        await crowd_general(app)
        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")
        stem = media_of(app, ANNOUNCEMENT)
        await until(
            lambda: any(stem in m for m in driver.call.transcript.heard),
            timeout_s=20,
            what="the first announcement",
        )
        assert app.switch is not None
        app.switch.press(app.switch.channel(driver.channel_id), "*")
        await driver.ended()
        await until(lambda: driver.channel_id not in app.sessions, what="the session over")

        store, now = app.queue_store, app.clock.now_s()
        agent = AgentProfile(AgentId("gen-2"), "王芳", "PJSIP/8001", {"mandarin": 2, "general": 2})
        await store.add_agent(agent, now)
        await store.login(agent.agent_id, now, ready=True)
        call_id = CallKey(driver.channel_id)
        opened: list[str] = []
        app.services.router.opened.append(opened.append)

        async def connected() -> bool:
            record = await store.get_call(call_id)
            return record is not None and record.state is QueueCallState.CONNECTED

        await until(connected, timeout_s=20, what="the callback connected to the agent")
        bridge = app.switch.bridges[BridgeId(f"br-{driver.channel_id}")]
        client = f"callback-{driver.channel_id}"
        await until(lambda: client in bridge.channels, timeout_s=20, what="the client bridged")
        (agent_leg,) = [c for c in bridge.channels if c != client]
        assert agent_leg.startswith(f"agent-{driver.channel_id}-")
        assert len(bridge.channels) == 2  # they hear each other
        assert opened == []  # no session for either leg: no menu
        for leg in (agent_leg, client):
            assert not [r for r in touched(app, leg) if "/play" in r or r.endswith("/answer")]

        app.switch.hangup(client)
        await until(lambda: handoff_of(app).live["callbacks"] == 0, what="the callback ended")
        await until(lambda: handoff_of(app).live["legs"] == 0, what="the legs gone")
        switch = app.switch
        await until(lambda: agent_leg not in switch.channels, what="the agent leg hung up")
        assert opened == []
        key = driver.channel_id
        await until(lambda: key not in app.dispatcher.active_calls, what="its lane ended too")


async def test_a_tagged_leg_without_owner_is_hung_up_not_taken_for_a_call(
    waiting_app: WaitingApp, caplog: pytest.LogCaptureFixture
) -> None:
    async with waiting_app() as app:
        switch = app.switch
        assert switch is not None
        opened: list[str] = []
        app.services.router.opened.append(opened.append)
        caplog.set_level(logging.WARNING, logger="ivr.call.router")
        await app.services.rest.originate(
            "PJSIP/8001", app=app.settings.ari.app, app_args="agent,gone-call", channel_id="stray-1"
        )
        await until(lambda: "stray-1" not in switch.channels, what="the stray leg hung up")
        assert opened == []
        assert [r for r in touched(app, "stray-1") if not r.startswith("POST /channels/stray-1/")][
            -1:
        ] == ["DELETE /channels/stray-1"]
        assert any(
            "orphan" in r.getMessage() and "stray-1" in r.getMessage() for r in caplog.records
        )
