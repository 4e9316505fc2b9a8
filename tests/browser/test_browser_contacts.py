"""The agent desktop shows the caller's last contacts under the screen pop: a caller with six
earlier calls (one with a disposition, one with a follow-up item) rings through to the
agent, whose desktop lists the newest five with date, outcome, queue, the masked account,
the disposition and the follow-up, plus the requested queue and the other details of the pop.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, expect

from ivr.followups.store import FollowupStore, NewFollowup
from ivr.store.dispositions import DispositionStore
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

pytestmark = needs_chromium

CALLER = "13900000077"


async def test_desktop_shows_the_callers_last_contacts(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        calls, earlier = app.store, datetime.now(UTC) - timedelta(days=6)
        rows = []
        for n in range(6):
            start = earlier + timedelta(days=n)
            row = await calls.create_call(
                channel_id=f"old-{n}", caller=CALLER, dialed="95555", language="zh-CN",
                flow="hotline", started_at=start,
            )  # fmt: skip
            await calls.set_queue(row, "general", "normal")
            await calls.close_call(row, "abandoned" if n == 4 else "answered", None,
                                   start + timedelta(minutes=4))  # fmt: skip
            rows.append(row)
        await DispositionStore(calls.engine).record(
            call_id="old-5", agent_id="a9", user_name="wm", disposition="follow_up",
            notes="asked about margin", queue="general", caller=CALLER,
        )  # fmt: skip
        await FollowupStore(calls.engine).create(
            NewFollowup(kind="callback", priority="normal", reason="margin", caller=CALLER,
                        due_at=earlier + timedelta(days=5, hours=1), account_masked="****5678",
                        call_id=rows[5], reference="C000042", queue="general"),
            why="promised",
        )  # fmt: skip
        store, now = app.queue_store, app.clock.now_s()
        desk = AgentProfile(AgentId("a1"), "李娜", "PJSIP/8001", {"mandarin": 3, "general": 3})
        await store.add_agent(desk, now)
        await store.login(desk.agent_id, now, ready=True)
        token = await app.users.add_user("lina", ["agent"], "a1")
        page = await open_page(browser)
        await login(page, app, token, "/agent")
        await expect(page.locator("body")).to_have_attribute("data-live", "true")

        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")
        await expect(page.locator("#offer")).to_have_attribute("data-call", driver.channel_id)
        await expect(page.locator("#pop-queue")).to_have_text("general")
        await expect(page.locator("#pop-reason")).to_have_text("caller asked for an agent")
        await expect(page.locator("#pop-callback")).to_have_text("–")
        contacts = page.locator("#contacts")
        await expect(contacts).to_have_attribute("data-call", driver.channel_id)
        table = contacts.locator("table.contacts tbody tr")
        await expect(table).to_have_count(5)
        newest = table.nth(0)
        await expect(newest).to_have_attribute("data-call", str(rows[5]))
        local = (earlier + timedelta(days=5)).astimezone(ZoneInfo("Asia/Shanghai"))
        await expect(newest.locator(".when")).to_have_text(local.strftime("%Y-%m-%d %H:%M"))
        await expect(newest.locator(".outcome")).to_have_text("answered by an agent")
        await expect(newest.locator(".account")).to_have_text("****5678")
        await expect(newest.locator(".dispositions")).to_have_text(
            "follow up (a9): asked about margin"
        )
        await expect(newest.locator(".followups")).to_have_text("callback C000042 open")
        await expect(table.nth(1).locator(".outcome")).to_have_text("abandoned in queue")
        await expect(table.nth(4)).to_have_attribute("data-call", str(rows[1]))
        await expect(contacts.locator("h3")).to_have_text("Last contacts of this caller")
        await shot(page, "agent-last-contacts")
        driver.hang_up()
        await driver.ended()
