"""An admin edits the hotline in the browser: a typo is marked at its line as they type, the
fix validates, "save and publish" makes it live and the next call follows it; rolling back to
version 1 restores the old behaviour. The list, graph, simulator and diff are on the way.

The edit (as in the flow-version call tests): the language menu's option 1 and its no-input
fallback go to `goodbye` (hang up) instead of `welcome` -> ... -> `main_menu`; callers stay
silent, so the menu's short timer decides and the path does not depend on key timing.
"""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from ivr.app import App
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.integration.flowversions.conftest import HOTLINE, hotline_with, option_1_position

pytestmark = needs_chromium

TYPO = hotline_with("hours_chek")
NEW = hotline_with("goodbye", fallback="goodbye")


async def past_language_menu(app: App) -> str:
    """Place a silent call; where it went after the language menu: `main_menu` or `goodbye`."""
    driver = await CallDriver.dial(app)
    seen: list[str] = []

    async def check() -> str | None:
        session = app.sessions.get(driver.channel_id)
        if session is not None and session.state is not None:
            seen[:] = session.state.path
        elif session is None:  # ended: read its IVR trace
            await app.call_records.flush()
            detail = await app.store.find_by_channel(driver.channel_id)
            seen[:] = [t.node for t in detail.trace] if detail else []
        return next((n for n in ("goodbye", "main_menu") if n in seen), None)

    where = await until(check, timeout_s=20, what="the call past the language menu")
    if driver.channel_id in app.sessions:
        driver.hang_up()
    await driver.ended()
    return str(where)


async def type_yaml(page: Page, text: str) -> None:
    """Replace the editor's text and fire `input`, as typing does (Playwright's `fill` is slow
    on a 25 kB textarea)."""
    await page.locator("#yaml").evaluate(
        "(e, text) => { e.value = text; e.dispatchEvent(new Event('input', {bubbles: true})); }",
        text,
    )


async def test_edit_validate_publish_and_rollback(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        token = await app.users.add_user("ann", ["admin"])
        page = await open_page(browser)
        await login(page, app, token, "/admin/flows")
        hotline_row = page.locator('#flows tr[data-flow="hotline"]')
        await expect(hotline_row.locator(".live")).to_have_text("1")
        await shot(page, "admin-flows")

        await hotline_row.locator("a").click()
        await page.wait_for_url(f"{app.http_url}/admin/flows/hotline")
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        assert await page.input_value("#yaml") == HOTLINE
        await expect(page.locator("#graph svg")).to_have_count(1)

        await type_yaml(page, TYPO)
        line, column = option_1_position()
        await expect(page.locator("#validation")).to_have_text("1 error(s)")
        await expect(page.locator("#gutter .err")).to_have_count(1)
        await expect(page.locator("#gutter .err")).to_have_attribute("data-line", str(line))
        await expect(page.locator("#errors li")).to_have_text(
            f"line {line}, column {column}: node 'language_menu': option 'next' points to"
            " unknown node 'hours_chek' (did you mean 'hours_check'?)"
        )
        await shot(page, "admin-flow-error")

        await type_yaml(page, NEW)
        await expect(page.locator("#validation")).to_have_text("valid")
        await expect(page.locator("#gutter .err")).to_have_count(0)
        await page.fill("#sim-inputs", "wait")
        await page.click("#simulate")
        await expect(page.locator("#transcript")).to_contain_text("goodbye")

        await page.fill("#comment", "language menu says goodbye")
        await page.click("#save-publish")
        await expect(page.locator("#status")).to_have_text("published version 2")
        await expect(page.locator("#live-version")).to_have_text("2")
        await page.select_option("#diff-from", "1")
        await page.select_option("#diff-to", "2")
        await page.click("#diff")
        await expect(page.locator("#diff-out .add").first).to_contain_text("goodbye")
        await shot(page, "admin-flow-published")
        assert await past_language_menu(app) == "goodbye"

        await page.locator('#versions tr[data-version="1"] button.make-live').click()
        await expect(page.locator("#status")).to_have_text("rolled back to version 1")
        await expect(page.locator("#live-version")).to_have_text("1")
        assert await past_language_menu(app) == "main_menu"
        audit = await app.flow_versions.store.audit("hotline")
        assert [(a.action, a.actor, a.from_version, a.to_version) for a in audit] == [
            ("rollback", "ann", 2, 1),
            ("publish", "ann", 1, 2),
            ("seed", "seed", None, 1),
        ]
