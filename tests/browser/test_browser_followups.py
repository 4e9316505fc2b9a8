"""The desk keeps a captured order's promise in the browser.

An emergency caller with no desk agent free captures an order; the supervisor's wallboard shows
one open phone order and the alert carrying it; the desk agent's desktop lists it first with the
order and the masked account, claims it, plays the voice order (audited), calls the client back
(the app rings the agent, then the client, bridges and records), and after the client hangs up
closes it as `order_confirmed`; the item's history has every step.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from ivr.sandbox.model import BridgeId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.followups.test_followups_desk import capture_order, staff

pytestmark = needs_chromium


async def test_desk_agent_claims_calls_back_and_closes_a_phone_order(
    app_factory: AppFactory, browser: Browser, tmp_path: Path
) -> None:
    async with app_factory() as app:
        call_id = await capture_order(app, tmp_path)
        [item] = await app.services.followups.store.search(call_id=call_id)
        tokens = await staff(app)

        board = await open_page(browser)
        await login(board, app, tokens["sue"], "/wallboard")
        tile = board.locator('#followup-counts tr[data-kind="phone_order"]')
        await expect(tile.locator(".open")).to_have_text("1")
        await expect(board.locator("#alerts")).to_contain_text("followup_kind=phone_order")
        await expect(board.locator("#alerts")).to_contain_text("account=****5678")
        await shot(board, "followups-wallboard")

        page = await open_page(browser)
        await login(page, app, tokens["wang"], "/agent")
        row = page.locator(f'#followups tr[data-followup="{item.id}"]')
        await expect(page.locator("#followups tbody tr").first).to_have_attribute(
            "data-kind", "phone_order"
        )
        await expect(row.locator(".fu-order")).to_have_text(
            "product: rb, month: 2505, direction: buy, offset: close, price_type: limit, "
            "price: 3580.5, lots: 2"
        )
        await expect(row.locator(".fu-account")).to_have_text("****5678")
        await row.locator(".fu-claim").click()
        await expect(row).to_have_attribute("data-status", "claimed")
        play = row.locator('.fu-play[data-purpose="voice_order"]')
        await expect(play).to_be_visible()
        href = await play.get_attribute("href")
        assert href is not None
        listened = await page.request.get(f"{app.http_url}{href}")
        assert (listened.status, listened.headers["content-type"]) == (200, "audio/wav")
        audit = await app.recordings.audit_log()
        assert [(a.actor, a.action.value) for a in audit] == [("wang", "listen")]

        await row.locator(".fu-call").click()
        await expect(row).to_have_attribute("data-status", "in_progress")
        key = f"followup-{item.id}-1"
        switch = app.switch
        assert switch is not None
        bridge = BridgeId(f"{key}-bridge")
        await until(
            lambda: bridge in switch.bridges and len(switch.bridges[bridge].channels) == 2,
            timeout_s=30, what="agent and client bridged",
        )  # fmt: skip
        await shot(page, "followups-calling")
        switch.hangup(f"{key}-client")
        calls = app.services.router.followups
        assert calls is not None
        await until(lambda: not calls.holds(key), timeout_s=30, what="the callback ended")
        await row.locator(".fu-outcome").select_option("order_confirmed")
        await row.locator(".fu-close").click()
        await expect(page.locator("#fu-status")).to_have_text(f"closed {item.id}")
        await expect(row).to_have_count(0)
        await shot(page, "followups-closed")

        done = await app.services.followups.store.get(item.id)
        assert (done.status, done.outcome, done.claimed_by) == ("done", "order_confirmed", "wang")
        assert [h.action for h in done.history] == [
            "created", "callback_booked", "claimed", "calling", "dialing_agent",
            "agent_answered", "dialing_client", "bridged", "recording", "call_ended",
            "recording_sealed", "closed",
        ]  # fmt: skip
