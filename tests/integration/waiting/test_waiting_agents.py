"""Agent legs over the sandbox switch: a busy phone, a phone nobody answers. The shell side
of the lifecycle's `ringing_agent` rows (dial failed, leg ended, reaped)."""

from __future__ import annotations

from ivr.sandbox import EndpointBehavior
from ivr.sandbox.model import BridgeId
from queueing.model import AgentProfile, QueueCallState
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import WaitingApp
from tests.integration.waiting.test_waiting_callers import (
    CALLER,
    handoff_of,
)

SKILLS = {"mandarin": 2, "general": 2}


async def test_a_busy_agent_is_requeued_and_the_next_agent_takes_the_call(
    waiting_app: WaitingApp,
) -> None:
    async with waiting_app() as app:
        assert app.switch is not None
        app.switch.endpoints["PJSIP/8009"] = EndpointBehavior(busy=True)
        store, now = app.queue_store, app.clock.now_s()
        busy = AgentProfile(AgentId("busy-1"), "张伟", "PJSIP/8009", SKILLS)
        await store.add_agent(busy, now)
        await store.login(busy.agent_id, now, ready=True)
        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")

        async def requeued() -> bool:
            events = await store.events()
            return any(e.type == "call_requeued" and e.fields["reason"] == "busy" for e in events)

        await until(requeued, timeout_s=20, what="the busy agent's offer requeued")
        good = AgentProfile(AgentId("gen-2"), "王芳", "PJSIP/8001", SKILLS)
        await store.add_agent(good, app.clock.now_s())
        await store.login(good.agent_id, app.clock.now_s(), ready=True)
        await until(lambda: driver.session.outcome == "answered", timeout_s=20, what="answered")
        record = await store.get_call(CallKey(driver.channel_id))
        assert record is not None
        assert (record.state, record.agent_id) == (QueueCallState.CONNECTED, "gen-2")
        bridge = app.switch.bridges[BridgeId(f"br-{driver.channel_id}")]
        assert driver.channel_id in bridge.channels
        assert len(bridge.channels) == 2

        driver.hang_up()
        await driver.ended()
        await until(lambda: handoff_of(app).live["calls"] == 0, what="the call ended")
        await until(lambda: handoff_of(app).live["legs"] == 0, what="the agent leg gone")
        assert BridgeId(f"br-{driver.channel_id}") not in app.switch.bridges
        ended = await store.get_agent(good.agent_id)
        assert ended is not None
        assert ended.calls_handled == 1


async def test_an_agent_who_never_answers_is_given_up_and_the_caller_keeps_waiting(
    waiting_app: WaitingApp,
) -> None:
    async with waiting_app() as app:
        assert app.switch is not None
        app.switch.endpoints["PJSIP/8009"] = EndpointBehavior(never_answer=True)
        store, now = app.queue_store, app.clock.now_s()
        away = AgentProfile(AgentId("away-1"), "张伟", "PJSIP/8009", SKILLS)
        await store.add_agent(away, now)
        await store.login(away.agent_id, now, ready=True)
        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")

        async def not_ready() -> bool:
            record = await store.get_agent(away.agent_id)
            return record is not None and record.reason == "no_answer"

        # rings 15 s of switch time per offer; after 3 missed offers the agent is not ready
        await until(not_ready, timeout_s=30, what="the agent set not ready after 3 misses")
        await until(lambda: handoff_of(app).live["legs"] == 0, what="the last ring given up")
        record = await store.get_call(CallKey(driver.channel_id))
        assert record is not None
        assert record.state is QueueCallState.WAITING
        assert driver.channel_id in app.sessions  # still waiting on the line
        assert not [c for c in app.switch.channels if c.startswith("agent-")]

        driver.hang_up()
        await driver.ended()
        await until(lambda: handoff_of(app).live["calls"] == 0, what="the call abandoned")
        events = await store.events()
        left = [e.fields["outcome"] for e in events if e.type == "call_removed"]
        assert left == ["abandoned"]
