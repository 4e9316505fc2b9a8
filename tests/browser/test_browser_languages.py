"""The agent desktop, the wallboard and the login page in Chinese and English.

With an emergency call connected to the desk agent, each page is opened by a browser whose
Accept-Language is zh-CN, then en: the page says `<html lang>` of that language, states,
buttons, the screen pop and the monitoring buttons read in that language (a Chinese call
centre's words: 签入/签出, 示闲/示忙, 保持, 转接, 三方会议, 监听, 密语, 强插), an API error is shown
in that language, no catalogue key is visible, and Chinese text uses the Noto CJK font.
The language switch overrides the browser's language and is remembered (cookie).
Screenshots: artifacts/screenshots/<page>-zh.png and <page>-en.png.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Final

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from ivr.sandbox import EndpointBehavior
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.browser.conftest import ROOT, login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.control.desk import DESK, SPEED, Desk

pytestmark = needs_chromium

CATALOGUES: Final = ROOT / "ivr" / "web" / "pages" / "static" / "i18n"
TEXT: Final = {
    lang: json.loads((CATALOGUES / f"{lang}.json").read_text("utf-8")) for lang in ("en", "zh-CN")
}
KEYS: Final = sorted(TEXT["en"], key=len, reverse=True)
SUFFIX: Final = {"zh-CN": "zh", "en": "en"}
ENGLISH_WORDS: Final = re.compile(
    r"\b(Ready|Not ready|Hold|Transfer|Log out|Agents|Queue|Waiting)\b"
)


async def visible_text(page: Page) -> str:
    return await page.locator("body").inner_text()


async def assert_no_key_leaks(page: Page) -> None:
    text = await visible_text(page)
    leaked = [key for key in KEYS if key in text]
    assert leaked == []
    assert re.search(r"\bt\(\s*['\"]", text) is None
    assert "{" not in text  # no unfilled {param}


async def assert_language(page: Page, lang: str) -> None:
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator("html")).to_have_attribute("data-i18n-ready", "true")
    await expect(page.locator("#lang")).to_have_value(lang)
    if lang == "zh-CN":
        assert ENGLISH_WORDS.search(await visible_text(page)) is None
        font = await page.locator("body").evaluate("e => getComputedStyle(e).fontFamily")
        assert font.startswith('"Noto Sans CJK SC"')


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_desktop_and_wallboard_in_each_language(
    app_factory: AppFactory, browser: Browser, tmp_path: Path, lang: str
) -> None:
    text = TEXT[lang]
    async with app_factory(speed=SPEED) as app:
        desk = Desk(app, tmp_path, aiohttp.ClientSession())
        try:
            await desk.add_agent("desk-1", "王敏", DESK, {"emergency_order": 4, "mandarin": 3})
            await desk.add_agent("a2", "Tom", "PJSIP/8002", {"english": 3})
            await desk.add_user("wangmin", ["agent"], "desk-1")
            await desk.add_user("sue", ["supervisor"])
            driver = await desk.connected_call({DESK: EndpointBehavior(answer_after_s=1)})
            key = driver.channel_id

            agent = await open_page(browser, lang)
            await login(agent, app, desk.tokens["wangmin"], "/agent")
            await assert_language(agent, lang)
            await expect(agent.locator("#controls")).to_be_visible()
            await expect(agent.locator("#state")).to_have_text(text["state.on_call"])
            await expect(agent.locator("#state")).to_have_attribute("data-state", "on_call")
            await expect(agent.locator("#emergency")).to_have_text(text["pop.emergency"])
            reason = text["verify.verification_incomplete"]  # the emergency line skips the PIN
            await expect(agent.locator("#verified")).to_have_text(
                text["pop.not_verified_reason"].replace("{reason}", reason)
            )
            await expect(agent.locator("#pop-reason")).to_have_text(reason)
            await expect(agent.locator("#pop-phase")).to_have_text(text["phase.connected"])
            await expect(agent.locator("#ctl-state")).to_have_text(
                text["ctl.talking"].replace("{call}", key)
            )
            buttons = {
                "#btn-login": "agent.login", "#btn-ready": "agent.ready",
                "#btn-not-ready": "agent.not_ready", "#btn-logout": "agent.logout",
                "#btn-hold": "ctl.hold", "#btn-resume": "ctl.resume",
                "#btn-transfer": "ctl.transfer", "#btn-consult": "ctl.consult",
                "#btn-conference": "ctl.conference", "#btn-accept": "pop.accept",
            }  # fmt: skip
            for selector, name in buttons.items():
                await expect(agent.locator(selector)).to_have_text(text[name])
            await expect(agent.locator("#reason-code option:checked")).to_have_text(
                text["reason.break"]
            )
            await assert_no_key_leaks(agent)
            await shot(agent, f"agent-desktop-{SUFFIX[lang]}")

            board = await open_page(browser, lang)
            await login(board, app, desk.tokens["sue"], "/wallboard")
            await assert_language(board, lang)
            on_call = board.locator('#agents tr[data-agent="desk-1"]')
            await expect(on_call.locator(".state")).to_have_text(text["state.on_call"])
            await expect(board.locator('#agents tr[data-agent="a2"] .state')).to_have_text(
                text["state.ready"]
            )
            for mode in ("listen", "whisper", "barge"):
                await expect(on_call.locator(f'button.mon[data-mode="{mode}"]')).to_have_text(
                    text[f"mode.{mode}"]
                )
            await expect(on_call.locator("button.force")).to_have_text(text["wb.force"])
            await on_call.locator('button.mon[data-mode="listen"]').click()  # no phone typed
            await expect(board.locator("#mon-status")).to_have_text(
                text["error.invalid-monitor-request"]
            )
            await expect(board.locator("body")).to_have_attribute("data-polls", re.compile("."))
            await assert_no_key_leaks(board)
            await shot(board, f"wallboard-{SUFFIX[lang]}")
            if lang == "zh-CN":
                words = await visible_text(agent) + await visible_text(board)
                for word in (
                    "签入",
                    "签出",
                    "示闲",
                    "示忙",
                    "保持",
                    "转接",
                    "三方会议",
                    "监听",
                    "密语",
                    "强插",
                ):
                    assert word in words
            driver.hang_up()
            await driver.ended(timeout_s=60)
        finally:
            await desk.aclose()


async def test_the_language_switch_wins_over_the_browser_and_is_remembered(
    app_factory: AppFactory, browser: Browser
) -> None:
    async with app_factory() as app:
        profile = AgentProfile(AgentId("a1"), "李娜", "PJSIP/8001", {"mandarin": 3})
        await app.queue_store.add_agent(profile, app.clock.now_s())
        token = await app.users.add_user("lina", ["agent"], "a1")
        page = await open_page(browser, "zh-CN")
        await page.goto(f"{app.http_url}/login")
        await assert_language(page, "zh-CN")
        await expect(page.locator("#login")).to_have_text("登录")
        await page.fill("#token", "not-a-token")
        await page.click("#login")
        await expect(page.locator("#status")).to_have_text(TEXT["zh-CN"]["error.unauthorized"])
        await assert_no_key_leaks(page)
        await shot(page, "login-zh")

        async with page.expect_navigation():
            await page.select_option("#lang", "en")
        await assert_language(page, "en")
        await expect(page.locator("#login")).to_have_text("Log in")
        await shot(page, "login-en")
        cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
        assert cookies["ivr_lang"] == "en"

        await login(page, app, token, "/agent")  # the browser still asks for zh-CN
        await assert_language(page, "en")
        await expect(page.locator("#btn-ready")).to_have_text("Ready")
        async with page.expect_navigation():
            await page.select_option("#lang", "zh-CN")
        await assert_language(page, "zh-CN")
        await expect(page.locator("#btn-ready")).to_have_text("示闲")
        await expect(page.locator("#btn-not-ready")).to_have_text("示忙")
        await expect(page.locator("#logout")).to_have_text("退出登录")
        await page.reload()
        await assert_language(page, "zh-CN")
        await assert_no_key_leaks(page)
