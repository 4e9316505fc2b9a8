"""An emergency caller who fails the PIN three times still reaches the trading desk (policy
`security.unverified_emergency: desk`), but never as verified: the offer's screen pop on the
agent's websocket carries `verified: false, reason: pin_locked`, and the queued call's info
says `verified: no`. With the policy `normal` the same caller waits at normal priority."""

from __future__ import annotations

import aiohttp

from ivr.app import App
from queueing.config import PriorityClass
from queueing.model import AgentProfile
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.security.conftest import ACCOUNT, EMERGENCY, AppFactory

THREE_WRONG = f"{ACCOUNT}#,000000,{ACCOUNT}#,111111,{ACCOUNT}#,222222"
DESK = AgentProfile(AgentId("desk-1"), "王敏", "PJSIP/8001", {"emergency_order": 4, "licensed": 3})


async def test_locked_out_emergency_caller_pops_unverified_with_the_reason(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        await app.queue_store.add_agent(DESK, app.clock.now_s())
        await app.queue_store.login(DESK.agent_id, app.clock.now_s(), ready=True)
        token = await app.users.add_user("wm", ["agent"], agent_id="desk-1")
        headers = {"Authorization": f"Bearer {token}"}
        async with http.ws_connect(f"{app.http_url}/api/agents/me/ws", headers=headers) as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "state"
            driver = await CallDriver.dial(app, dialed=EMERGENCY, caller="13900000123")
            await driver.run("1," + THREE_WRONG)  # 1: Mandarin first
            while (message := await ws.receive_json(timeout=20))["type"] != "offer":
                pass
            pop = message["screen_pop"]
            assert (pop["verified"], pop["reason"], pop["emergency"]) == (False, "pin_locked", True)
            assert (pop["queue"], pop["account"]) == ("trading_desk", "****5678")
            for pin in ("000000", "111111", "222222"):
                assert pin not in str(message)
            driver.hang_up()
            await driver.ended()


async def queued(app: App, driver: CallDriver) -> tuple[PriorityClass, dict[str, str]]:
    record = await until(
        lambda: app.queue_store.get_call(CallKey(driver.channel_id)),
        timeout_s=20,
        what="the call in the Redis queue",
    )
    return record.priority, dict(record.info)


async def test_policy_normal_queues_the_unverified_caller_at_normal_priority(
    app_factory: AppFactory,
) -> None:
    async with app_factory(IVR_SECURITY_UNVERIFIED_EMERGENCY="normal") as app:
        driver = await CallDriver.dial(app, dialed=EMERGENCY, caller="13900000124")
        await driver.run("1," + THREE_WRONG)  # 1: Mandarin first
        priority, info = await queued(app, driver)
        assert (priority, info["verified"], info["reason"]) == (
            PriorityClass.NORMAL,
            "no",
            "pin_locked",
        )
        driver.hang_up()
        await driver.ended()
