"""The agent desktop's call controls and the wallboard's monitoring panel, in Chromium.

An emergency call is connected to the desk agent; the agent clicks Hold (the client hears the
music, from the switch's media model) and Resume; the supervisor clicks "listen" on the agent's
row of the wallboard, the session shows live, then "stop".
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
from playwright.async_api import Browser, expect

from ivr.sandbox import EndpointBehavior
from tests.browser.conftest import login, needs_chromium, open_page, shot
from tests.integration.call.conftest import AppFactory
from tests.integration.control.desk import (
    AGENT_HZ,
    DESK,
    MUSIC_HZ,
    SPEED,
    SUPERVISOR_HZ,
    SUPERVISOR_PHONE,
    Desk,
    audible,
    music,
    tone,
    tones_heard,
)

pytestmark = needs_chromium


async def test_hold_resume_from_the_desktop_and_listen_from_the_wallboard(
    app_factory: AppFactory, browser: Browser, tmp_path: Path
) -> None:
    async with app_factory(speed=SPEED) as app:
        desk = Desk(app, tmp_path, aiohttp.ClientSession())
        try:
            await desk.add_agent("desk-1", "王敏", DESK, {"emergency_order": 4, "mandarin": 3})
            await desk.add_user("wangmin", ["agent"], "desk-1")
            await desk.add_user("sue", ["supervisor"])
            desk.switch.set_moh_music("default", music(tmp_path))
            desk_voice = tone(tmp_path / "d.wav", AGENT_HZ, 120)
            sup_voice = tone(tmp_path / "s.wav", SUPERVISOR_HZ, 120)
            driver = await desk.connected_call({
                DESK: EndpointBehavior(answer_after_s=1, speak=desk_voice),
                SUPERVISOR_PHONE: EndpointBehavior(answer_after_s=1, speak=sup_voice),
            })  # fmt: skip
            key = driver.channel_id

            agent = await open_page(browser)
            await login(agent, app, desk.tokens["wangmin"], "/agent")
            await expect(agent.locator("#controls")).to_be_visible()
            await expect(agent.locator("#ctl-state")).to_have_text(f"call {key}: talking")
            await agent.click("#btn-hold")
            await expect(agent.locator("#ctl-state")).to_have_text(f"call {key}: on hold")
            await expect(agent.locator("#btn-resume")).to_be_enabled()
            await shot(agent, "agent-call-on-hold")
            held = await desk.talk(2)
            assert audible(tones_heard(desk.switch, key, *held)) == {MUSIC_HZ}
            await agent.click("#btn-resume")
            await expect(agent.locator("#ctl-state")).to_have_text(f"call {key}: talking")
            talking = await desk.talk(2)
            assert audible(tones_heard(desk.switch, key, *talking)) == {AGENT_HZ}

            board = await open_page(browser)
            await login(board, app, desk.tokens["sue"], "/wallboard")
            await board.fill("#mon-endpoint", SUPERVISOR_PHONE)
            row = board.locator("#agents tbody tr", has_text="desk-1")
            await row.locator("button.mon", has_text="listen").click()
            session = board.locator("#mon-sessions tbody tr", has_text=key)
            await expect(session).to_contain_text("live")
            await shot(board, "wallboard-monitoring")
            await session.locator("button", has_text="stop").click()
            await expect(board.locator("#mon-sessions tbody tr")).to_have_count(0)
            driver.hang_up()
            await driver.ended(timeout_s=60)
        finally:
            await desk.aclose()
