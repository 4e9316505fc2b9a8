"""The supervisor wallboard shows a scenario call waiting in its queue (with the caller row),
forces an agent not ready, and then shows the call answered once an agent is ready."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

pytestmark = needs_chromium


async def test_wallboard_shows_waiting_then_answered(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        store, now = app.queue_store, app.clock.now_s()
        desk = AgentProfile(AgentId("a1"), "李娜", "PJSIP/8001", {"mandarin": 3, "general": 3})
        other = AgentProfile(AgentId("a2"), "Tom", "PJSIP/8002", {"english": 3})
        for profile in (desk, other):
            await store.add_agent(profile, now)
        await store.login(desk.agent_id, now, ready=False)
        await store.login(other.agent_id, now, ready=True)
        token = await app.users.add_user("sue", ["supervisor"])
        page = await open_page(browser)
        await login(page, app, token, "/wallboard")

        driver = await CallDriver.dial(app)
        await driver.run("1,0")
        general = page.locator('#queues tr[data-queue="general"]')
        await expect(general.locator(".waiting")).to_have_text("1")
        await expect(page.locator(f'#callers tr[data-call="{driver.channel_id}"]')).to_contain_text(
            "13900000000"
        )
        tom = page.locator('#agents tr[data-agent="a2"]')
        await expect(tom.locator(".state")).to_have_text("Ready")
        await shot(page, "wallboard-waiting")

        await tom.locator("button.force").click()
        await expect(tom.locator(".state")).to_have_text("Not ready")
        await expect(tom).to_contain_text("Meeting")

        await store.set_ready(desk.agent_id, app.clock.now_s())
        await expect(general.locator(".waiting")).to_have_text("0")
        await expect(general.locator(".answered")).to_have_text("1")
        await expect(page.locator('#agents tr[data-agent="a1"] .state')).to_have_text("On a call")
        await expect(page.locator(f'#callers tr[data-call="{driver.channel_id}"]')).to_have_count(0)
        await shot(page, "wallboard-answered")
        driver.hang_up()
        await driver.ended()
