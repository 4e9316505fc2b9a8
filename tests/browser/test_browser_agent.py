"""An agent logs in on the desktop, goes ready, receives a scenario call's screen pop over the
websocket, accepts it, and after the caller hangs up wraps up with a disposition and notes that
then appear in the agent's calls today."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

pytestmark = needs_chromium

CALLER = "13900000000"


async def test_agent_takes_a_call_and_wraps_up(app_factory: AppFactory, browser: Browser) -> None:
    async with app_factory() as app:
        profile = AgentProfile(AgentId("a1"), "李娜", "PJSIP/8001", {"mandarin": 3, "general": 3})
        await app.queue_store.add_agent(profile, app.clock.now_s())
        token = await app.users.add_user("lina", ["agent"], "a1")
        page = await open_page(browser)
        await login(page, app, token, "/agent")
        await expect(page.locator("#state")).to_have_text("Logged out")
        await page.click("#btn-login")
        await expect(page.locator("#state")).to_have_text("Not ready")
        await page.select_option("#reason-code", "training")
        await page.click("#btn-not-ready")
        await expect(page.locator("#reason")).to_have_text("(Training)")
        await expect(page.locator("body")).to_have_attribute("data-live", "true")
        await page.click("#btn-ready")
        await expect(page.locator("#state")).to_have_text("Ready")

        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")
        offer = page.locator("#offer")
        await expect(offer).to_have_attribute("data-call", driver.channel_id)
        await expect(page.locator("#pop-caller")).to_have_text(CALLER)
        await expect(page.locator("#pop-queue")).to_have_text("general")
        await expect(page.locator("#pop-language")).to_have_text("zh-CN")
        await expect(page.locator("#pop-path")).to_contain_text("main_menu")
        await expect(page.locator("#emergency")).to_be_hidden()
        await page.click("#btn-accept")
        await expect(page.locator("#pop-phase")).to_have_text("accepted")
        await expect(page.locator("#state")).to_have_text("On a call")
        await shot(page, "agent-call")

        driver.hang_up()
        await driver.ended()
        await expect(page.locator("#wrapup")).to_be_visible()
        await expect(page.locator("#wrap-call")).to_have_text(driver.channel_id)
        await page.select_option("#disposition", "resolved")
        await page.fill("#notes", "客户查询账户余额")
        await shot(page, "agent-wrapup")
        await page.click("#btn-dispose")
        await expect(page.locator("#status")).to_have_text("wrap-up done")
        row = page.locator(f'#history tr[data-call="{driver.channel_id}"]')
        await expect(row.locator(".disposition")).to_have_text("resolved")
        await expect(row).to_contain_text("客户查询账户余额")
        await expect(page.locator("#wrapup")).to_be_hidden()
        await shot(page, "agent-history")
