"""An admin edits the queue definitions in the browser: a typo is marked at its line as they
type, the fix validates, Save writes the file and the running app routes with the new queues.
The app runs on a private copy of `config/` (the repository's file is never rewritten)."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import ROOT, login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory

pytestmark = needs_chromium

QUEUES = (ROOT / "config" / "queues.yaml").read_text(encoding="utf-8")
GENERAL = "  general:\n    skills: {mandarin: 1, general: 1}\n"
TYPO = QUEUES.replace(GENERAL, GENERAL + "    max_wait: 240\n")
FIXED = QUEUES.replace(GENERAL, GENERAL + "    max_wait_s: 240\n")


def copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


async def type_yaml(page: Page, text: str) -> None:
    """Replace the editor's text and fire `input`, as typing does."""
    await page.locator("#yaml").evaluate(
        "(e, text) => { e.value = text; e.dispatchEvent(new Event('input', {bubbles: true})); }",
        text,
    )


async def test_edit_validate_and_save_queues(
    app_factory: AppFactory, browser: Browser, tmp_path: Path
) -> None:
    config_dir = copy_config(tmp_path)
    async with app_factory(IVR_CONFIG_DIR=str(config_dir)) as app:
        token = await app.users.add_user("ann", ["admin"])
        page = await open_page(browser)
        await login(page, app, token, "/admin/flows")
        await page.locator('header a[href="/admin/queues"]').first.click()
        await page.wait_for_url(f"{app.http_url}/admin/queues")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        assert await page.input_value("#yaml") == QUEUES
        general = page.locator('#queues tr[data-queue="general"] .max-wait')
        await expect(general).to_have_text("900s")

        await type_yaml(page, TYPO)
        line = TYPO[: TYPO.index("    max_wait: 240")].count("\n") + 1
        await expect(page.locator("#validation")).to_have_text("1 error(s)")
        await expect(page.locator("#gutter .err")).to_have_count(1)
        await expect(page.locator("#gutter .err")).to_have_attribute("data-line", str(line))
        await expect(page.locator("#errors li")).to_have_text(
            f"line {line}, column 5: queue 'general': unknown key 'max_wait'"
            " (did you mean 'max_wait_s'?)"
        )
        await shot(page, "admin-queues-error")

        await type_yaml(page, FIXED)
        await expect(page.locator("#validation")).to_have_text("valid")
        await expect(page.locator("#gutter .err")).to_have_count(0)
        await expect(general).to_have_text("240s")
        await page.fill("#comment", "general: shorter max wait")
        await page.click("#save")
        await expect(page.locator("#status")).to_have_text("saved: 7 queue(s) in use")
        await shot(page, "admin-queues-saved")
        assert (config_dir / "queues.yaml").read_text(encoding="utf-8") == FIXED
        assert app.queue_store.config.queues["general"].max_wait_s == 240
