"""The wallboard's survey tile shows today's answered surveys and their mean score."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from ivr.store.surveys import SurveyStore
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory

pytestmark = needs_chromium


async def test_wallboard_tile_shows_todays_survey_count_and_mean(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory(IVR_DIALER_ENABLED="false") as app:
        store, now = SurveyStore(app.store.engine), app.clock.now()
        for call, score in (("c1", 5), ("c2", 4), ("c3", None)):
            await store.offered(call, "inbound", "a-1", "general", now)
            if score is not None:
                await store.answered(call, "inbound", now, score=score, solved=True)
        token = await app.users.add_user("sue", ["supervisor"])
        board = await open_page(browser)
        await login(board, app, token, "/wallboard")
        tile = board.locator("#surveys-today")
        await expect(tile.locator(".count")).to_have_text("2")
        await expect(tile.locator(".mean")).to_have_text("4.50")
        await expect(tile.locator(".rate")).to_have_text("67 %")
        await shot(board, "surveys-wallboard")
