"""A caller who pressed `*` while waiting is called back when an agent is ready: the agent's
desktop pops the callback with its callback number and the caller's last contacts."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from queueing.model import AgentProfile, QueueCallState
from queueing.policy import AgentId, CallKey
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import wire

pytestmark = needs_chromium

CALLER = "13900000088"


async def test_desktop_pops_a_callback_with_its_number(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        wire(app)
        store, now = app.queue_store, app.clock.now_s()
        desk = AgentProfile(AgentId("a1"), "李娜", "PJSIP/8001", {"mandarin": 3, "general": 3})
        await store.add_agent(desk, now)
        await store.login(desk.agent_id, now, ready=False)
        token = await app.users.add_user("lina", ["agent"], "a1")
        page = await open_page(browser)
        await login(page, app, token, "/agent")
        await expect(page.locator("body")).to_have_attribute("data-live", "true")

        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")
        key = CallKey(driver.channel_id)

        async def waiting() -> bool:
            record = await store.get_call(key)
            return record is not None and record.state is QueueCallState.WAITING

        await until(waiting, what="the caller waiting")
        assert app.switch is not None
        app.switch.press(app.switch.channel(driver.channel_id), "*")
        await driver.ended()
        record = await store.get_call(key)
        assert record is not None
        assert record.callback_number == CALLER

        await store.set_ready(desk.agent_id, app.clock.now_s())
        await expect(page.locator("#offer")).to_have_attribute("data-call", driver.channel_id)
        await expect(page.locator("#pop-callback")).to_have_text(CALLER)
        await expect(page.locator("#pop-queue")).to_have_text("general")
        await expect(page.locator("#contacts .none")).to_have_text("No earlier contacts.")
        await shot(page, "agent-callback-pop")


async def test_desktop_shows_the_requested_queue_of_an_english_caller(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        store, now = app.queue_store, app.clock.now_s()
        desk = AgentProfile(AgentId("e1"), "Tom", "PJSIP/8002", {"english": 3})
        await store.add_agent(desk, now)
        await store.login(desk.agent_id, now, ready=True)
        token = await app.users.add_user("tom", ["agent"], "e1")
        page = await open_page(browser)
        await login(page, app, token, "/agent")
        await expect(page.locator("body")).to_have_attribute("data-live", "true")

        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("2,0")  # English, then a person
        await expect(page.locator("#offer")).to_have_attribute("data-call", driver.channel_id)
        await expect(page.locator("#pop-queue")).to_have_text("english")
        await expect(page.locator("#pop-language")).to_have_text("en")
        await expect(page.locator("#pop-requested")).to_have_text("general")
        await expect(page.locator("#pop-callback")).to_have_text("–")
        await shot(page, "agent-requested-queue")
        driver.hang_up()
        await driver.ended()
