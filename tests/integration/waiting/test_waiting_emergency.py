"""Emergency calls as the trading desk sees them: the screen pop, and the supervisor alert.

The emergency flow's queue nodes pass the verified (masked) account, `verified` and the
reason; the last-resort desk also passes the captured order. The queued call's `info` in Redis
carries them (never the PIN) and the agent's screen pop marks EMERGENCY. An order captured by
voice and keypad becomes a `phone_order` follow-up item, which puts an alert carrying the item
(the order, the account masked) on the queue event stream.
"""

from __future__ import annotations

import json

from ivr.app import App
from ivr.queue.feed import screen_pop
from queueing.model import CallRecord
from queueing.policy import CallKey
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import WaitingApp
from tests.unit.flows.harness import ERROR, Call, load_shipped, run

LOGIN = "12345678#,123456"  # sample account 12345678 and its trading PIN
CALLER = "13800000009"
PIN = "123456"


async def queued_record(app: App, driver: CallDriver) -> CallRecord:
    return await until(
        lambda: app.queue_store.get_call(CallKey(driver.channel_id)),
        timeout_s=20,
        what="the emergency call in the Redis queue",
    )


async def test_verified_emergency_call_pops_emergency_with_masked_account(
    waiting_app: WaitingApp,
) -> None:
    async with waiting_app() as app:
        driver = await CallDriver.dial(app, dialed="95556", caller=CALLER)
        await driver.run("1," + LOGIN)  # 1: Mandarin (95556 asks the language first)
        record = await queued_record(app, driver)
        info = dict(record.info)
        assert (record.queue, info["priority"]) == ("trading_desk", "emergency")
        assert (info["account"], info["verified"], info["reason"]) == (
            "****5678",
            "yes",
            "emergency_order",
        )
        assert not any(PIN in value for value in info.values())
        pop = screen_pop(record, app.clock.now_s())
        assert (pop["emergency"], pop["priority"], pop["account"]) == (
            True,
            "emergency",
            "****5678",
        )
        assert pop["caller"] == CALLER
        assert PIN not in json.dumps(pop)
        driver.hang_up()
        await driver.ended()


async def test_locked_out_caller_pops_unverified_with_the_reason(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        driver = await CallDriver.dial(app, dialed="95556", caller=CALLER)
        await driver.run("1,12345678#,987650,12345678#,987650,12345678#,987650")
        record = await queued_record(app, driver)
        info = dict(record.info)
        assert (info["priority"], info["verified"], info["reason"]) == (
            "emergency",
            "no",
            "pin_locked",
        )
        assert info["account"] == "****5678"
        assert not any("987650" in value for value in info.values())
        driver.hang_up()
        await driver.ended()


def test_last_resort_desk_carries_the_captured_order() -> None:
    # verified, desk gave up, order captured (rb 2505 buy close market 1 lot), ticket failed
    inputs = LOGIN + ",queue:timeout,1,2505,1,2,2,1#,1"
    result = run(load_shipped(), Call("emergency", inputs, answers={"create_ticket": ERROR}))
    attributes = result.screen_pop()
    assert attributes is not None
    assert (attributes["account"], attributes["verified"]) == ("****5678", "yes")
    assert attributes["reason"] == "order_capture_failed"
    assert json.loads(attributes["order"]) == {
        "product": "rb",
        "month": "2505",
        "direction": "buy",
        "offset": "close",
        "price_type": "market",
        "price": "",
        "lots": "1",
    }


async def test_captured_order_becomes_a_phone_order_item_with_a_supervisor_alert(
    waiting_app: WaitingApp,
) -> None:
    async with waiting_app() as app:
        driver = await CallDriver.dial(app, dialed="95556", caller=CALLER)
        await driver.run("1," + LOGIN)  # 1: Mandarin (95556 asks the language first)
        await driver.run("1,2505,1,2,2,1#,1")  # after the desk's max wait: the order capture
        transcript = await driver.ended(timeout_s=30)
        assert transcript.ended_by == "app"
        events = await app.queue_store.events()
        alerts = [
            dict(e.fields)
            for e in events
            if e.type == "alert" and e.fields.get("kind") == "followup"
        ]
        assert len(alerts) == 1  # one promise (order ticket + its callback), one item, one alert
        alert = alerts[0]
        assert (alert["kind"], alert["followup_kind"], alert["reason"], alert["caller"]) == (
            "followup",
            "phone_order",
            "emergency_order",
            CALLER,
        )
        assert alert["account"] == "****5678"
        assert json.loads(alert["order"]) == {
            "product": "rb", "month": "2505", "direction": "buy", "offset": "close",
            "price_type": "market", "price": "", "lots": "1",
        }  # fmt: skip
        assert "callback_id" not in alert
        assert PIN not in json.dumps(alerts)
        assert "12345678" not in json.dumps(alerts)
