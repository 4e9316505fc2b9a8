"""Waiting callers over the sandbox switch: what they hear, and the exit keys.

A caller of the hotline asks for an agent (`1,0` -> queue `general`) behind two waiting calls,
with one logged-in agent and a 120 s handle-time history: position 3, estimate 120 x 3 / 1 s
= 6 minutes. The caller hears music on hold, then the announcement at entry and again every
`periodic_every_s` (45 s of clock time), music on hold between them.
"""

from __future__ import annotations

import logging

import pytest

from ivr.app import App
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox.model import BridgeId
from queueing.config import PriorityClass
from queueing.model import AgentProfile, QueueCallState
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import WaitingApp

CALLER = "13900000000"
ANNOUNCEMENT = "您前面还有2位客户，预计等待约6分钟。如需保留排队位置并等待回电，请按星号键。"
CONFIRMATION = "已为您登记回电，您的排队位置将为您保留，轮到您时我们会给您回电。再见。"


async def crowd_general(app: App) -> None:
    """Two callers ahead in `general`, one agent logged in (not ready), 120 s handle time."""
    store = app.queue_store
    now = app.clock.now_s()
    for n in range(2):
        await store.enqueue(CallKey(f"ahead-{n}"), "general", PriorityClass.NORMAL, now - 100 + n)
    agent = AgentProfile(AgentId("gen-1"), "李明", "PJSIP/8002", {"mandarin": 2, "general": 2})
    await store.add_agent(agent, now)
    await store.login(agent.agent_id, now)
    await store.client.rpush(store.key("handle_times", "general"), "120")


def media_of(app: App, text: str) -> str:
    return app.renderer.cache_path(text, "zh-CN").stem


def handoff_of(app: App) -> RedisQueueHandoff:
    assert isinstance(app.handoff, RedisQueueHandoff)
    return app.handoff


async def test_waiting_caller_hears_position_and_wait_periodically(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        await crowd_general(app)
        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")
        stem = media_of(app, ANNOUNCEMENT)

        def announced() -> list[str]:
            return [m for m in driver.call.transcript.heard if stem in m]

        await until(lambda: len(announced()) >= 2, timeout_s=20, what="two announcements")
        heard = driver.call.transcript.heard
        first = next(i for i, m in enumerate(heard) if stem in m)
        # music on hold before, between and (stopped for) each announcement
        assert heard[first - 1].startswith("moh:")
        assert heard[first + 1].startswith("moh:")
        assert stem in heard[first + 2]
        view = await app.queue_store.caller_view(CallKey(driver.channel_id), app.clock.now_s())
        assert view is not None
        assert (view.position, view.estimated_wait_s) == (3, 360.0)

        driver.hang_up()
        await driver.ended()
        await until(lambda: handoff_of(app).live["calls"] == 0, what="the call dequeued")
        assert handoff_of(app).live == {
            "calls": 0,
            "callbacks": 0,
            "legs": 0,
            "playbacks": 0,
            "tasks": 0,
            "announcers": 0,
        }
        assert await app.queue_store.get_call(CallKey(driver.channel_id)) is None


async def test_star_while_waiting_leaves_a_callback_keeping_the_place(
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
        transcript = await driver.ended()

        assert transcript.ended_by == "app"
        assert media_of(app, CONFIRMATION) in transcript.heard[-1]
        record = await app.queue_store.get_call(CallKey(driver.channel_id))
        assert record is not None
        assert (record.state, record.callback_number) == (QueueCallState.WAITING, CALLER)
        view = await app.queue_store.caller_view(CallKey(driver.channel_id), app.clock.now_s())
        assert view is not None
        assert view.position == 3  # the original place in line
        events = await app.queue_store.events()
        requested = [e for e in events if e.type == "callback_requested"]
        assert [e.fields["call_id"] for e in requested] == [driver.channel_id]
        assert handoff_of(app).live == {
            "calls": 0,
            "callbacks": 1,  # kept in line, owned here: offered to an agent when its turn comes
            "legs": 0,
            "playbacks": 0,
            "tasks": 0,
            "announcers": 0,
        }
        assert driver.channel_id not in app.sessions


async def test_callback_request_is_dialled_when_an_agent_takes_it(waiting_app: WaitingApp) -> None:
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

        store, now = app.queue_store, app.clock.now_s()
        agent = AgentProfile(AgentId("gen-2"), "王芳", "PJSIP/8001", {"mandarin": 2, "general": 2})
        await store.add_agent(agent, now)
        await store.login(agent.agent_id, now, ready=True)
        call_id = CallKey(driver.channel_id)

        async def connected() -> bool:
            record = await store.get_call(call_id)
            return record is not None and record.state is QueueCallState.CONNECTED

        await until(connected, timeout_s=20, what="the callback connected to the agent")
        record = await store.get_call(call_id)
        assert record is not None
        assert (record.agent_id, record.callback_number) == ("gen-2", CALLER)
        bridge = app.switch.bridges[BridgeId(f"br-{driver.channel_id}")]
        client = f"callback-{driver.channel_id}"
        await until(lambda: client in bridge.channels, timeout_s=20, what="the client bridged")
        assert len(bridge.channels) == 2  # the agent and the called-back client

        app.switch.hangup(client)
        await until(lambda: handoff_of(app).live["callbacks"] == 0, what="the callback ended")
        await until(lambda: handoff_of(app).live["legs"] == 0, what="the legs gone")

        async def ended() -> bool:
            return await store.get_call(call_id) is None

        await until(ended, what="the call ended in the store")
        assert client not in app.switch.channels
        finished = await store.get_agent(AgentId("gen-2"))
        assert finished is not None
        assert finished.calls_handled == 1


async def test_hash_leaves_a_voice_message_once_the_queue_offers_it(
    waiting_app: WaitingApp,
) -> None:
    # `english` offers callback and voice message after 180 s of waiting: speed 200 (0.9 s)
    async with waiting_app(speed=200.0) as app:
        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("2,0")
        session = driver.session
        offered = (
            "You are number 1 in line. To be called back without losing your place, press star."
            " To leave a voice message, press hash."
        )
        stem = app.renderer.cache_path(offered, "en").stem
        await until(
            lambda: any(stem in m for m in driver.call.transcript.heard),
            timeout_s=20,
            what="the voice message offered",
        )
        assert app.switch is not None
        app.switch.press(app.switch.channel(driver.channel_id), "#")
        await driver.waiting_for_input()  # the flow's on_overflow: busy_offer
        assert session.state is not None
        assert session.state.node == "busy_offer"
        assert await app.queue_store.get_call(CallKey(driver.channel_id)) is None
        events = await app.queue_store.events()
        left = [e.fields for e in events if e.type == "call_removed"]
        assert [(f["call_id"], f["outcome"]) for f in left] == [
            (driver.channel_id, "voice_message")
        ]
        driver.hang_up()
        await driver.ended()


async def test_a_caller_gone_as_an_announcement_starts_ends_them_without_a_warning(
    waiting_app: WaitingApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A caller who hangs up while waiting makes the next announcement's `play` answer 404
    (Channel not found): normal in a busy queue, so no warning per caller, and no more tries."""
    async with waiting_app() as app:
        assert app.switch is not None
        await crowd_general(app)
        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")
        stem = media_of(app, ANNOUNCEMENT)
        await until(
            lambda: any(stem in m for m in driver.call.transcript.heard), what="an announcement"
        )
        caplog.set_level(logging.INFO, logger="ivr.queue.announcer")
        app.switch.fail_next("POST", "/channels/*/play", status=404, count=3)
        await until(
            lambda: any("the caller's channel is gone" in r.message for r in caplog.records),
            timeout_s=20,
            what="the announcements ending",
        )
        plays = [r for r in app.switch.requests if r.path.endswith("/play")]
        driver.hang_up()
        await driver.ended()
        announcer = [r for r in caplog.records if r.name == "ivr.queue.announcer"]
        assert [r for r in announcer if r.levelno >= logging.WARNING] == []
        assert [r for r in app.switch.requests if r.path.endswith("/play")] == plays  # no retry
