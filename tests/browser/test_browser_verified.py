"""The agent desktop shows verified yes/no with the reason, unmistakably: an emergency caller
who failed the PIN three times pops with EMERGENCY and `NOT VERIFIED — reason: pin_locked`;
a supervisor on the desktop sees the PIN lock panel and unlocks a lock with a reason."""

from __future__ import annotations

from playwright.async_api import Browser, Dialog, expect

from ivr.providers.demo_data import account_key
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

pytestmark = needs_chromium

THREE_WRONG = "12345678#,000000,12345678#,111111,12345678#,222222"


async def test_desktop_shows_an_unverified_emergency_caller(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        profile = AgentProfile(AgentId("d1"), "王敏", "PJSIP/8001", {"emergency_order": 4})
        await app.queue_store.add_agent(profile, app.clock.now_s())
        await app.queue_store.login(profile.agent_id, app.clock.now_s(), ready=True)
        token = await app.users.add_user("wm", ["agent"], "d1")
        page = await open_page(browser)
        await login(page, app, token, "/agent")
        await expect(page.locator("body")).to_have_attribute("data-live", "true")
        await expect(page.locator("#pin-locks")).to_be_hidden()  # agents may not unlock

        driver = await CallDriver.dial(app, dialed="95556", caller="13900000125")
        await driver.run("1," + THREE_WRONG)  # 1: Mandarin (95556 asks the language first)
        await expect(page.locator("#offer")).to_have_attribute("data-call", driver.channel_id)
        await expect(page.locator("#emergency")).to_be_visible()
        await expect(page.locator("#verified")).to_have_text("NOT VERIFIED — reason: PIN locked")
        await expect(page.locator("#verified")).to_have_attribute("data-verified", "false")
        await expect(page.locator("#pop-verified")).to_have_text("no")
        await expect(page.locator("#pop-reason")).to_have_text("PIN locked")
        await expect(page.locator("#pop-account")).to_have_text("****5678")
        await shot(page, "agent-unverified-emergency")
        driver.hang_up()
        await driver.ended()


async def test_supervisor_unlocks_a_pin_lock_from_the_desktop(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        store = app.providers.pin_locks
        assert store is not None
        for n in range(10):
            await store.record_failure(
                account_key=account_key("12345678"), account_label="****5678",
                caller=f"+86139000001{n:02d}", call_id=f"c{n}",
            )  # fmt: skip
        await app.queue_store.add_agent(
            AgentProfile(AgentId("s1"), "Sue", "PJSIP/8001", {"general": 3}), app.clock.now_s()
        )
        token = await app.users.add_user("sue", ["supervisor"], "s1")
        page = await open_page(browser)
        await login(page, app, token, "/wallboard")
        await page.goto(f"{app.http_url}/agent")
        row = page.locator("#pin-locks tbody tr")
        await expect(row).to_have_count(1)
        await expect(row.locator("td").nth(2)).to_have_text("****5678")

        async def answer(dialog: Dialog) -> None:
            await dialog.accept("identity checked by callback")

        page.on("dialog", answer)
        await row.locator("button.unlock").click()
        await expect(page.locator("#status")).to_have_text("unlocked account ****5678")
        await expect(row).to_have_count(0)
        [entry, _lock] = await store.audit()
        assert (entry.action, entry.actor, entry.reason) == (
            "pin_unlock", "sue", "identity checked by callback",
        )  # fmt: skip
