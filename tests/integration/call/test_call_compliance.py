"""What compliance and the desk rely on, end to end over real sockets.

- The emergency line knows the trading calendar: open in a day session and in a night session
  past midnight, closed on an exchange holiday (then it says so and offers a callback).
- PINs never reach a log line, the SQL database or Redis in clear.
- An agent's websocket receives the screen pop (EMERGENCY, masked account) before the call is
  bridged to the agent's phone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from ivr.sandbox import EndpointBehavior
from queueing.model import AgentProfile
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("now", "node"),
    [
        (datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), "get_account"),  # Monday, day session
        (datetime(2026, 11, 28, 1, 30, tzinfo=SHANGHAI), "get_account"),  # Sat 01:30, Fri night
        (datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI), "market_closed"),  # National Day
        (datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI), "market_closed"),  # Sunday
    ],
)
async def test_emergency_line_follows_the_trading_calendar(
    app_factory: AppFactory, now: datetime, node: str
) -> None:
    async with app_factory(now=now) as app:
        driver = await CallDriver.dial(app, dialed="95556")
        await driver.press("1")  # Mandarin (95556 asks the language first)
        await driver.waiting_for_input()
        state = driver.session.state
        assert state is not None
        assert state.node == node
        if node == "market_closed":  # says so, and 1 books a callback for the next session
            await driver.press("1")
            transcript = await driver.ended()
            assert transcript.ended_by == "app"
            detail = await app.store.find_by_channel(driver.channel_id)
            assert detail is not None
            results = [t.detail for t in detail.trace if t.kind == "result"]
            assert [r["result"] for r in results if r["provider"] == "request_callback"] == ["ok"]
        else:
            driver.hang_up()
            await driver.ended()


WRONG_PINS = ("861379", "972431", "913846")
GOOD = ("87654321", "654321")


async def test_pins_are_in_no_log_no_database_and_no_redis(
    app_factory: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with app_factory() as app:
        locked = await CallDriver.dial(app, dialed="95556")
        await locked.run("1," + ",".join(f"{GOOD[0]}#,{pin}" for pin in WRONG_PINS))
        verified = await CallDriver.dial(app, dialed="95556")
        await verified.run(f"1,{GOOD[0]}#,{GOOD[1]}")
        record = await until(lambda: app.queue_store.get_call(CallKey(locked.channel_id)))
        await until(lambda: app.queue_store.get_call(CallKey(verified.channel_id)))
        info = record.info
        assert info["reason"] == "pin_locked"
        redis = app.queue_store.client
        hashes = [k async for k in redis.scan_iter() if await redis.type(k) == "hash"]
        redis_dump = repr([await redis.hgetall(k) for k in hashes])
        for driver in (locked, verified):
            driver.hang_up()
            await driver.ended()
    database = (tmp_path / "ivr.db").read_bytes()
    logs = "\n".join(r.getMessage() for r in caplog.records)
    for pin in (*WRONG_PINS, GOOD[1]):
        assert pin.encode() not in database
        assert pin not in logs
        assert pin not in redis_dump
    assert GOOD[0].encode() not in database  # account numbers are stored masked only
    assert "****4321" in info.get("account", "")


async def test_agent_websocket_gets_the_screen_pop_before_the_bridge(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app:
        now = app.clock.now_s()
        desk = AgentProfile(AgentId("desk-1"), "王敏", "PJSIP/8001", {"emergency_order": 4})
        await app.queue_store.add_agent(desk, now)
        await app.queue_store.login(desk.agent_id, now, ready=True)
        token = await app.users.add_user("wangmin", ["agent"], agent_id="desk-1")
        assert app.switch is not None  # the desk phone rings 5 s before she picks up
        app.switch.endpoints["PJSIP/8001"] = EndpointBehavior(answer_after_s=5)
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession(headers=headers) as http,
            http.ws_connect(f"{app.http_url}/api/agents/me/ws") as ws,
        ):
            driver = await CallDriver.dial(app, dialed="95556", caller="13800000001")
            await driver.run("1,12345678#,123456")
            offer = None
            while offer is None:
                message = await ws.receive_json(timeout=20)
                if message["type"] == "offer":
                    offer = message
                    bridged_when_offered = driver.session.outcome == "answered"
            pop = offer["screen_pop"]
            assert pop["emergency"] is True
            assert (pop["priority"], pop["account"], pop["caller"]) == (
                "emergency",
                "****5678",
                "13800000001",
            )
            assert "123456" not in str(pop)
            assert bridged_when_offered is False  # the pop came first
            await until(lambda: driver.session.outcome == "answered", timeout_s=20)
            driver.hang_up()
            await driver.ended()
