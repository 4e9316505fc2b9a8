"""Browser fixtures: the whole app (`app_factory` of the call tests: sandbox switch at speed 50,
real redis-server, SQLite) and a real headless Debian Chromium driven by Playwright (async).

Rules: every wait is bounded (Playwright `expect`/`wait_for` timeouts, `until`); screenshots go
to `artifacts/screenshots/<name>.png`; the suite is skipped when `/usr/bin/chromium` is absent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from ivr.app import App
from tests.integration.call.conftest import app_factory, tts_cache  # noqa: F401  (fixtures)

ROOT: Final = Path(__file__).resolve().parents[2]
CHROMIUM: Final = Path("/usr/bin/chromium")
SCREENSHOTS: Final = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS: Final = 15_000

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's chromium at /usr/bin/chromium (apt install chromium)",
)

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def open_page(browser: Browser, locale: str = "en") -> Page:
    """A new page whose browser asks for `locale` (Accept-Language): the staff pages follow it."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    return await context.new_page()


async def login(page: Page, app: App, token: str, expect_path: str) -> None:
    """Log in through the login page; `expect_path`: where `/` sends this user."""
    await page.goto(f"{app.http_url}/login")
    await page.fill("#token", token)
    await page.click("#login")
    await page.wait_for_url(f"{app.http_url}{expect_path}")


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
