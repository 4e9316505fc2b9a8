"""Hang-ups at awkward moments, a lost events websocket, ARI failing: the call path copes.

Each test runs a whole app (sandbox switch at speed 50, Redis, SQLite) over real sockets and
asserts what the outside sees: the caller's transcript, the switch's channels and playbacks,
the call row and its hang-up cause, and that the app holds nothing for the call afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import pytest

from ivr.app import App
from ivr.providers import LookupProvider, LookupProviders
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver


async def assert_nothing_left(app: App, driver: CallDriver, cause: str) -> None:
    """After the call: no session, no playback or channel on the switch, row closed."""
    assert app.switch is not None
    assert driver.channel_id not in app.sessions
    assert app.dispatcher.active_calls == frozenset()
    assert app.switch.playbacks == {}
    assert driver.channel_id not in app.switch.channels
    detail = await app.store.find_by_channel(driver.channel_id)
    assert detail is not None
    assert detail.call.ended_at is not None
    assert detail.call.hangup_cause == cause


async def test_hangup_during_a_prompt(
    app_factory: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.call")
    async with app_factory() as app:
        driver = await CallDriver.dial(app)
        assert app.switch is not None
        await until(lambda: app.switch is not None and len(app.switch.playbacks) > 0)
        session = driver.session
        driver.hang_up()
        transcript = await driver.ended()
        assert transcript.ended_by == "caller"
        assert session.live == {"timers": 0, "playbacks": 0, "work": 0, "queued": 0}
        await assert_nothing_left(app, driver, "normal")
    # the prompt ends `failed` because the caller hung up, as on Asterisk: not an incident
    assert [r.getMessage() for r in caplog.records if "playback failed" in r.getMessage()] == []


async def test_hangup_during_digit_collection(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        driver = await CallDriver.dial(app, dialed="95556")
        await driver.press("1")  # Mandarin (95556 asks the language first)
        await driver.waiting_for_input()  # the account number collect, input timer running
        await driver.press("1234")  # half an account number: the inter-digit timer runs
        session = driver.session
        assert session.state is not None
        assert session.state.digits == "1234"
        driver.hang_up()
        await driver.ended()
        assert session.live == {"timers": 0, "playbacks": 0, "work": 0, "queued": 0}
        await assert_nothing_left(app, driver, "normal")
        detail = await app.store.find_by_channel(driver.channel_id)
        assert detail is not None
        assert detail.call.outcome == "caller_hangup"


class _SlowBackOffice:
    """Every lookup waits until released: lets a test hang up in the middle of one."""

    def __init__(self, inner: LookupProviders) -> None:
        self.inner = inner
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    def for_call(self, call_id: str, caller: str = "") -> LookupProvider:
        office = self

        class _Provider:
            async def lookup(
                self, name: str, params: Mapping[str, str]
            ) -> tuple[str, Mapping[str, object]]:
                office.started.set()
                await office.release.wait()
                return await office.inner.for_call(call_id).lookup(name, params)

        return _Provider()


async def test_hangup_during_a_lookup(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        slow = _SlowBackOffice(app.providers)
        app.deps.providers = slow
        driver = await CallDriver.dial(app)
        session = driver.session
        await asyncio.wait_for(slow.started.wait(), 10)
        assert session.live["work"] == 1  # the lookup in flight
        driver.hang_up()
        await driver.ended()
        assert session.live == {"timers": 0, "playbacks": 0, "work": 0, "queued": 0}
        await assert_nothing_left(app, driver, "normal")


async def test_call_survives_a_lost_events_websocket(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        assert app.switch is not None
        driver = await CallDriver.dial(app)
        await driver.waiting_for_input()  # the language menu
        connections = app.events.connections
        await app.switch.drop_websockets()
        await until(lambda: app.events.connections > connections, what="reconnected")
        await until(lambda: app.events.connected.is_set(), what="socket open again")
        await driver.press("1")  # heard by the session after the resync
        await until(
            lambda: (
                driver.session.state is not None and driver.session.state.node != "language_menu"
            )
        )
        assert driver.channel_id in app.sessions
        driver.hang_up()
        await driver.ended()
        await assert_nothing_left(app, driver, "normal")


async def test_call_that_ended_while_disconnected_is_closed_on_resync(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app:
        assert app.switch is not None
        driver = await CallDriver.dial(app)
        await driver.waiting_for_input()
        session = driver.session
        await app.switch.drop_websockets()
        driver.hang_up()  # its StasisEnd is lost: nobody is listening
        await until(lambda: driver.channel_id not in app.sessions, what="resync closed the call")
        await app.call_records.flush()
        assert session.live == {"timers": 0, "playbacks": 0, "work": 0, "queued": 0}
        detail = await app.store.find_by_channel(driver.channel_id)
        assert detail is not None
        assert detail.call.outcome == "caller_hangup"
        # found by the resync ("lost"), or by a 404 on the app's next request ("gone")
        assert detail.call.hangup_cause in ("lost", "gone")


async def test_ari_failing_gives_the_fallback_prompt(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        assert app.switch is not None
        # every retry of the first prompt fails: 500 three times (one try + two retries)
        app.switch.fail_next("POST", "/channels/*/play", status=500, count=3)
        driver = await CallDriver.dial(app)
        transcript = await driver.ended()
        assert transcript.ended_by == "app"
        heard = transcript.heard
        assert len(heard) == 1
        assert heard[0].startswith("sound:http")
        assert app.renderer.cache_path("抱歉，系统暂时繁忙，请稍后再拨。", "zh-CN").stem in heard[0]
        detail = await app.store.find_by_channel(driver.channel_id)
        assert detail is not None
        assert (detail.call.outcome, detail.call.hangup_cause) == ("error", "ivr:error")


async def test_ari_timing_out_gives_the_fallback_prompt(app_factory: AppFactory) -> None:
    async with app_factory(IVR_ARI_TIMEOUT_S="0.3") as app:
        assert app.switch is not None
        app.switch.fail_next("POST", "/channels/*/play", status=None, delay_s=30, count=3)
        driver = await CallDriver.dial(app)
        transcript = await driver.ended(timeout_s=30)
        assert transcript.ended_by == "app"
        assert len(transcript.heard) == 1
        detail = await app.store.find_by_channel(driver.channel_id)
        assert detail is not None
        assert detail.call.outcome == "error"
