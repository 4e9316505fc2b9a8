"""Access to the pages: nothing works without a login, an agent's session gets 403 on the
admin and supervisor pages and their API, an admin manages agents on its page."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from queueing.policy import AgentId
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory

pytestmark = needs_chromium

PAGES = ["/", "/agent", "/wallboard", "/admin/flows", "/admin/flows/hotline", "/admin/agents"]
ADMIN_ONLY = ["/admin/flows", "/admin/flows/hotline", "/admin/agents"]


async def test_no_page_without_login_and_agent_gets_403(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        token = await app.users.add_user("lina", ["agent"], "a1")
        page = await open_page(browser)
        for path in PAGES:
            await page.goto(f"{app.http_url}{path}")
            assert page.url.startswith(f"{app.http_url}/login?next="), path
        await expect(page.locator("#token")).to_be_visible()
        await shot(page, "login")
        api = await page.request.get(f"{app.http_url}/api/queues")
        assert api.status == 401

        await page.fill("#token", "not-a-token")
        await page.click("#login")
        await expect(page.locator("#status")).to_have_text("The token or session is not valid")

        await login(page, app, token, "/agent")
        for path in ["/wallboard", *ADMIN_ONLY]:
            response = await page.goto(f"{app.http_url}{path}")
            assert response is not None
            assert response.status == 403, path
            await expect(page.locator("#message")).to_contain_text("needs one of the roles")
        await shot(page, "forbidden")
        for path in ["/api/queues", "/api/agents", "/api/admin/flows", "/api/admin/agents"]:
            api = await page.request.get(f"{app.http_url}{path}")
            assert (api.status, (await api.json())["error"]) == (403, "forbidden"), path
        svg = await page.request.get(f"{app.http_url}/admin/flows/hotline/graph.svg")
        assert svg.status == 403


async def test_admin_manages_agents(app_factory: AppFactory, browser: Browser) -> None:
    async with app_factory() as app:
        token = await app.users.add_user("ann", ["admin"])
        page = await open_page(browser)
        await login(page, app, token, "/admin/flows")
        await page.goto(f"{app.http_url}/admin/agents")
        await page.fill("#agent-id", "a7")
        await page.fill("#agent-name", "王敏")
        await page.fill("#agent-endpoint", "PJSIP/8007")
        await page.fill("#agent-skills", "mandarin=3, general=2")
        await page.click("#agent-save")
        row = page.locator('#agents tr[data-agent="a7"]')
        await expect(row.locator(".skills")).to_have_text("general=2, mandarin=3")
        await shot(page, "admin-agents")
        agent = await app.queue_store.get_agent(AgentId("a7"))
        assert agent is not None
        assert (agent.profile.name, dict(agent.profile.skills)) == (
            "王敏",
            {"general": 2, "mandarin": 3},
        )
        await row.locator("button.remove").click()
        await expect(row).to_have_count(0)
        assert await app.queue_store.get_agent("a7") is None  # type: ignore[arg-type]
