"""An agent-first callback takes the agent out of routing while the app dials the agent, then
the client: a caller waiting in the agent's queue meanwhile is not offered to them; once the
callback is over the agent is ready again and takes that caller."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from ivr.app import App
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox.model import ChannelId
from queueing.model import AgentProfile, AgentState, QueueCallState
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.integration.followups.test_followups_api import item
from tests.integration.followups.test_followups_desk import Staff

WANG = AgentProfile(AgentId("a5"), "王敏", "PJSIP/8001", {"mandarin": 3, "general": 3})


@pytest.fixture
async def env(app_factory: AppFactory) -> AsyncIterator[tuple[App, Staff]]:
    async with app_factory() as app, aiohttp.ClientSession(base_url=app.http_url) as http:
        await app.queue_store.add_agent(WANG, app.clock.now_s())
        await app.queue_store.login(WANG.agent_id, app.clock.now_s(), ready=True)
        yield app, Staff(http, {"wang": await app.users.add_user("wang", ["agent"], "a5")})


async def test_the_calling_agent_is_not_offered_a_queue_call_until_the_callback_ends(
    env: tuple[App, Staff],
) -> None:
    app, api = env
    switch = app.switch
    assert switch is not None
    store = app.queue_store
    it = await item(app)
    await api("POST", f"/api/followups/{it.id}/claim", "wang")
    status, _ = await api("POST", f"/api/followups/{it.id}/call", "wang")
    assert status == 202
    agent = await store.get_agent(WANG.agent_id)
    assert agent is not None
    assert (agent.state, agent.reason) == (AgentState.NOT_READY, "followup_call")

    caller = await CallDriver.dial(app, caller="13900000000")
    await caller.run("1,0")  # the general queue: wang's skills
    key = CallKey(caller.channel_id)
    await until(lambda: store.get_call(key), timeout_s=30, what="the caller in line")

    async def bridged() -> bool:
        detail = await app.services.followups.store.get(it.id)
        return any(h.action == "bridged" for h in detail.history)

    await until(bridged, timeout_s=30, what="the callback bridged")
    waiting = await store.get_call(key)
    assert waiting is not None
    assert waiting.state is QueueCallState.WAITING  # never offered to the busy agent
    agent_rings = [
        r for r in switch.requests
        if r.path == "/channels" and r.params.get("endpoint") == WANG.endpoint
    ]  # fmt: skip
    assert [r.params.get("channelId") for r in agent_rings] == [f"followup-{it.id}-1-agent"]

    switch.hangup(ChannelId(f"followup-{it.id}-1-client"))  # the client hangs up: it is over
    await until(lambda: caller.session.outcome == "answered", timeout_s=30, what="offered now")
    assert isinstance(app.handoff, RedisQueueHandoff)
    answered = await store.get_call(key)
    assert answered is not None
    assert (answered.state, answered.agent_id) == (QueueCallState.CONNECTED, WANG.agent_id)


async def test_an_agent_on_a_queue_call_cannot_start_a_callback(env: tuple[App, Staff]) -> None:
    app, api = env
    caller = await CallDriver.dial(app, caller="13900000000")
    await caller.run("1,0")
    await until(lambda: caller.session.outcome == "answered", timeout_s=30, what="on a call")
    it = await item(app)
    await api("POST", f"/api/followups/{it.id}/claim", "wang")
    status, reply = await api("POST", f"/api/followups/{it.id}/call", "wang")
    assert (status, reply["error"]) == (409, "agent-busy")
    detail = await app.services.followups.store.get(it.id)
    assert detail.status == "claimed"
    agent = await app.queue_store.get_agent(WANG.agent_id)
    assert agent is not None
    assert agent.state is AgentState.ON_CALL
