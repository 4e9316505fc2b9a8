"""Logging in with a hostile `next=` lands on the app's own pages, never on another site."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.browser.conftest import needs_chromium, open_page
from tests.integration.call.conftest import AppFactory

pytestmark = needs_chromium

HOSTILE = [
    "/%5Cevil.example",
    "/%09/evil.example",
    "//evil.example",
    "https://evil.example/",
    "/%5C/evil.example",
]


async def test_hostile_next_lands_on_the_apps_own_page(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        token = await app.users.add_user("al", ["agent"], "a1")
        page = await open_page(browser)
        for raw in [*HOSTILE, "/agent%3Fx%3D1"]:
            await page.goto(f"{app.http_url}/login?next={raw}")
            await page.fill("#token", token)
            await page.click("#login")
            await page.wait_for_url(f"{app.http_url}/agent**")
            assert page.url.startswith(f"{app.http_url}/agent"), raw
