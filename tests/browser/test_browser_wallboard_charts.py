"""The wallboard's pictures in Chromium: a caller waiting past the red threshold turns the
queue's longest-wait cell red (with the word RED, not colour only), the chart of today draws
the callers waiting and the service level once the call is answered, and the CSV export link
downloads the interval report, parsed back and equal to the JSON of the same report."""

from __future__ import annotations

import csv
import io

import aiohttp
from playwright.async_api import Browser, expect

from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

pytestmark = needs_chromium


async def test_red_queue_chart_and_csv_export(app_factory: AppFactory, browser: Browser) -> None:
    async with app_factory() as app:
        store, now = app.queue_store, app.clock.now_s()
        desk = AgentProfile(AgentId("a1"), "李娜", "PJSIP/8001", {"mandarin": 3, "general": 3})
        await store.add_agent(desk, now)
        await store.login(desk.agent_id, now, ready=False)
        token = await app.users.add_user("sue", ["supervisor"])
        page = await open_page(browser)
        await login(page, app, token, "/wallboard")
        chart = page.locator("#today-chart svg")
        await expect(chart).to_have_attribute(
            "aria-label", "Today: callers waiting and service level per 15 minutes"
        )

        driver = await CallDriver.dial(app)
        await driver.run("1,0")
        general = page.locator('#queues tr[data-queue="general"]')
        await expect(general.locator(".waiting")).to_have_text("1")
        # the default thresholds (config/wallboard.yaml): red above 60 s of waiting (clock time)
        longest = general.locator(".longest")
        await expect(longest).to_have_attribute("data-level", "red")
        await expect(longest.locator(".marker")).to_have_text("RED")
        await expect(general).to_have_attribute("data-level", "red")
        await expect(page.locator("#today-chart")).to_have_attribute("data-waiting-now", "1")
        await shot(page, "wallboard-red-queue")

        await store.set_ready(desk.agent_id, app.clock.now_s())
        await expect(general.locator(".answered")).to_have_text("1")
        sl = general.locator(".sl")  # answered after more than 20 s: 0 % within target
        await expect(sl).to_have_attribute("data-level", "red")
        await expect(sl).to_contain_text("0%")
        await expect(longest).to_have_attribute("data-level", "green")
        await expect(longest.locator(".marker")).to_have_count(0)
        point = chart.locator("circle.sl-point[data-value]")
        await expect(point).to_have_count(1)
        # one caller waited about a second (real time): one bar of 1, or two if that second
        # crossed a quarter hour
        bars = await chart.locator("rect.bar[data-value]").evaluate_all(
            "(bars) => bars.map((b) => b.dataset.value)"
        )
        assert bars in (["1"], ["1", "1"])
        # the chart counts the SQL call records, stamped in real time: the call waited about a
        # second there (the wallboard's live figures run on the switch's 50x clock)
        await expect(point).to_have_attribute("data-value", "100")
        await expect(point).to_have_class("sl-point level-green")
        await shot(page, "wallboard-chart")

        async with page.expect_download() as info:
            await page.click("#export-csv")
        download = await info.value
        assert download.suggested_filename.startswith("intervals-")
        path = await download.path()
        table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{app.http_url}/api/reports/intervals", headers=headers) as resp,
        ):
            body = await resp.json()
        expected = [
            {k: "" if v is None else str(v) for k, v in row.items()}
            for row in [*body["rows"], *body["totals"]]
        ]
        assert table == expected
        busy = [(r["queue"], r["offered"], r["answered"]) for r in table if r["offered"] != "0"]
        assert busy == [("general", "1", "1"), ("(all)", "1", "1")]
        driver.hang_up()
        await driver.ended()
