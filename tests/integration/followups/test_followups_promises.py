"""Every flow path that promises follow-up creates its work item (and nothing else does).

Each test is one real call over the sandbox switch, the ARI websocket, the call session and the
SQL demo back office; the items are read back from SQL by the call's id. Paths: a complaint
(answer within 5 trading days), after-hours callback and message, the market-closed callback
(due at the next session open) and message, three wrong PINs with no desk free (`pin_unlock`),
an incomplete order (urgent callback + wallboard alert), a captured phone order (one item for
the order and its callback, with the structured order), and `*` while waiting (place kept).
A suggestion is thanked, not promised: no item.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from ivr.app import App
from ivr.followups.store import Followup
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import WaitingApp
from tests.integration.waiting.test_waiting_callers import ANNOUNCEMENT, crowd_general, media_of

SH = ZoneInfo("Asia/Shanghai")
MONDAY_6PM = datetime(2026, 1, 5, 18, 0, tzinfo=SH)
SATURDAY_10AM = datetime(2026, 1, 10, 10, 0, tzinfo=SH)
CALLER = "13800000009"
LOGIN = "12345678#,123456"
WRONG_PINS = "12345678#,111111,12345678#,222222,12345678#,333333"


async def items_of(app: App, call_id: str) -> list[Followup]:
    return await app.services.followups.store.search(call_id=call_id)


async def call(app: App, inputs: str, *, dialed: str = "95555", record: bool = False) -> str:
    """Place a call, feed `inputs` (then `#` to end a recording), wait for its end: the call id."""
    driver = await CallDriver.dial(app, dialed=dialed, caller=CALLER)
    call_id = driver.session.call_id
    if dialed == "95556":
        inputs = "1," + inputs  # Mandarin: 95556 asks the language first
    await driver.run(inputs)
    if record:
        await until(lambda: driver.session.recordings.recording_channel, what="recording")
        assert app.switch is not None
        app.switch.press(app.switch.channel(driver.channel_id), "#")
    transcript = await driver.ended(timeout_s=60)
    assert transcript.ended_by == "app"
    return call_id


async def alerts(app: App) -> list[dict[str, str]]:
    """The follow-up alerts (a `recording_gap` of a loaded machine is another story)."""
    events = await app.queue_store.events()
    return [
        dict(e.fields) for e in events if e.type == "alert" and e.fields.get("kind") == "followup"
    ]


def brief(item: Followup) -> tuple[object, ...]:
    return (item.kind, item.reason, item.priority, item.status, item.caller)


async def test_a_complaint_is_answered_within_5_trading_days(app_factory: AppFactory) -> None:
    async with app_factory() as app:  # Monday 5 Jan 2026 10:00
        call_id = await call(app, "1,4,1", record=True)
        [item] = await items_of(app, call_id)
        assert brief(item) == ("complaint", "complaint", "normal", "open", CALLER)
        assert item.due_at.astimezone(SH).isoformat() == "2026-01-12T15:00:00+08:00"
        assert item.reference is not None
        assert item.reference.startswith("T")
        [recording] = await app.recordings.search(call_id=call_id)
        assert (item.recordings, recording.purpose) == ((recording.name,), "complaint")
        detail = await app.services.followups.store.get(item.id)
        assert [(h.actor, h.action, h.status) for h in detail.history] == [
            ("system", "created", "open")
        ]


async def test_a_suggestion_promises_nothing(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        call_id = await call(app, "1,4,2", record=True)
        assert await items_of(app, call_id) == []


async def test_after_hours_callback_and_message(app_factory: AppFactory) -> None:
    async with app_factory(now=MONDAY_6PM) as app:
        callback = await call(app, "1,0,1")
        message = await call(app, "1,0,2", record=True)
        [cb] = await items_of(app, callback)
        [msg] = await items_of(app, message)
        assert (cb.kind, cb.priority, cb.queue) == ("callback", "normal", "general")
        assert (msg.kind, msg.reason, len(msg.recordings)) == ("voice_message", "message", 1)
        # Monday 18:00: the night session opens at 21:00; the callback is due 60 min later
        assert cb.due_at.astimezone(SH).isoformat() == "2026-01-05T22:00:00+08:00"


async def test_market_closed_callback_is_due_at_the_next_open(app_factory: AppFactory) -> None:
    async with app_factory(now=SATURDAY_10AM) as app:
        callback = await call(app, "1", dialed="95556")
        message = await call(app, "2", dialed="95556", record=True)
        [cb] = await items_of(app, callback)
        [msg] = await items_of(app, message)
        assert brief(cb) == ("callback", "market_closed", "normal", "open", CALLER)
        assert cb.due_at.astimezone(SH).isoformat() == "2026-01-12T09:00:00+08:00"
        assert (msg.kind, msg.reason) == ("voice_message", "emergency_message")
        assert await alerts(app) == []  # not urgent


async def test_three_wrong_pins_with_no_desk_free_is_a_pin_unlock(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        call_id = await call(app, WRONG_PINS, dialed="95556")
        [item] = await items_of(app, call_id)
        assert brief(item) == ("pin_unlock", "pin_locked", "urgent", "open", CALLER)
        assert item.account_masked is None  # never verified: no account on the item
        [alert] = await alerts(app)
        assert (alert["kind"], alert["followup_id"]) == ("followup", str(item.id))
        assert "111111" not in json.dumps(alert)


async def test_an_incomplete_order_books_an_urgent_callback(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        call_id = await call(app, LOGIN + ",1,2505,1,wait,wait,wait", dialed="95556")
        [item] = await items_of(app, call_id)
        assert brief(item) == ("callback", "emergency_order_incomplete", "urgent", "open", CALLER)
        assert item.due_at - item.created_at == (
            datetime(2026, 1, 1, 0, 5) - datetime(2026, 1, 1, 0, 0)
        )
        [alert] = await alerts(app)
        assert (alert["followup_kind"], alert["reason"]) == ("callback", item.reason)


async def test_a_captured_order_is_one_phone_order_item(app_factory: AppFactory) -> None:
    async with app_factory() as app:
        call_id = await call(app, LOGIN + ",1,2505,1,2,1,3580*5#,2#,1", dialed="95556", record=True)
        [item] = await items_of(app, call_id)
        assert brief(item) == ("phone_order", "emergency_order", "urgent", "open", CALLER)
        assert item.order == {
            "product": "rb", "month": "2505", "direction": "buy", "offset": "close",
            "price_type": "limit", "price": "3580.5", "lots": "2",
        }  # fmt: skip
        assert item.account_masked == "****5678"
        parts = await app.recordings.search(call_id=call_id)
        assert {p.purpose for p in parts if p.name in item.recordings} == {
            "emergency",
            "voice_order",
        }
        detail = await app.services.followups.store.get(item.id)
        assert [h.action for h in detail.history] == ["created", "callback_booked"]
        [alert] = await alerts(app)
        assert json.loads(alert["order"])["price"] == "3580.5"
        assert alert["account"] == "****5678"


async def test_star_while_waiting_is_a_callback_item(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
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
        assert brief(item) == ("callback", "queue_callback", "normal", "open", CALLER)
