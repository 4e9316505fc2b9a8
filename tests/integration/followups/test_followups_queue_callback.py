"""The `*` in-queue callback's follow-up item follows its call: claimed and in progress when the
queue's agent answers and the client is dialled, `done` once the client talked to the agent,
`failed` when the client is not reached; every step is in the item's history."""

from __future__ import annotations

from ivr.app import App
from ivr.followups.store import Followup
from ivr.sandbox import EndpointBehavior
from ivr.sandbox.model import BridgeId, ChannelId
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.followups.test_followups_promises import items_of
from tests.integration.waiting.conftest import WaitingApp
from tests.integration.waiting.test_waiting_callers import (
    ANNOUNCEMENT,
    CALLER,
    crowd_general,
    media_of,
)

AGENT = AgentProfile(AgentId("gen-2"), "王芳", "PJSIP/8001", {"mandarin": 2, "general": 2})


async def book_callback(app: App) -> tuple[CallDriver, str]:
    """A caller waiting behind two others presses `*` and hangs up: the place is kept."""
    await crowd_general(app)
    driver = await CallDriver.dial(app, caller=CALLER)
    call_id = driver.session.call_id
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
    [item] = await items_of(app, call_id)
    assert (item.reason, item.status) == ("queue_callback", "open")
    store, now = app.queue_store, app.clock.now_s()
    await store.add_agent(AGENT, now)
    await store.login(AGENT.agent_id, now, ready=True)
    return driver, call_id


async def settled(app: App, call_id: str) -> Followup:
    async def closed() -> Followup | None:
        [item] = await items_of(app, call_id)
        return item if item.status in ("done", "failed") else None

    found: Followup = await until(closed, timeout_s=30, what="the item closed")
    return await app.services.followups.store.get(found.id)


async def test_the_item_closes_done_when_the_callback_call_ends(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        switch = app.switch
        assert switch is not None
        driver, call_id = await book_callback(app)
        client = f"callback-{driver.channel_id}"
        bridge = BridgeId(f"br-{driver.channel_id}")
        await until(
            lambda: bridge in switch.bridges and client in switch.bridges[bridge].channels,
            timeout_s=30,
            what="the client bridged with the agent",
        )
        switch.hangup(ChannelId(client))  # the client hangs up after talking
        item = await settled(app, call_id)
        assert (item.status, item.outcome) == ("done", "called_back")
        assert [(h.action, h.status) for h in item.history] == [
            ("created", "open"), ("queue_agent", "claimed"), ("calling", "in_progress"),
            ("queue_bridged", "in_progress"), ("done", "done"),
        ]  # fmt: skip
        assert "gen-2" in item.history[1].why


async def test_the_item_fails_when_the_client_is_not_reached(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        assert app.switch is not None
        app.switch.endpoints[f"PJSIP/{CALLER}"] = EndpointBehavior(busy=True)
        _driver, call_id = await book_callback(app)
        item = await settled(app, call_id)
        assert (item.status, item.outcome) == ("failed", "not_reached")
        assert [(h.action, h.status) for h in item.history] == [
            ("created", "open"), ("queue_agent", "claimed"), ("calling", "in_progress"),
            ("failed", "failed"),
        ]  # fmt: skip
