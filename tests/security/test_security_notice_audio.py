"""The margin notice (an outbound call of the dialer) is caller-specific audio too: the account's
last digits, risk ratio, deposit and deadline are spoken from a private per-call URL, never from
the shared cache and never with a text sidecar; the URL is 404 once the call ended and nothing
of the notice is left on disk."""

from __future__ import annotations

import aiohttp

from ivr.app import App
from ivr.call.media import HttpPromptMedia
from ivr.outbound.service import load_margin_campaign
from ivr.store.outbound import OutboundStore
from tests.helpers import until
from tests.integration.outbound.conftest import AppFactory, app_factory, tts_cache
from tests.security.test_security_private_audio import call_prompt_dirs

__all__ = ["app_factory", "tts_cache"]

NOTICE = (
    "account,phone,risk_ratio,required_deposit,deadline\n"
    "87651234,13900012340,112.5,50000,2026-01-06T09:00:00+08:00\n"  # last digit 0: confirms
)


def private_fetches(app: App) -> list[str]:
    assert app.switch is not None
    return [url for url in app.switch.media.fetches if "/prompts/private/" in url]


async def test_the_margin_notice_is_spoken_from_a_private_url(app_factory: AppFactory) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        prompts = app.deps.prompts
        assert isinstance(prompts, HttpPromptMedia)
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        campaign = await load_margin_campaign(store, NOTICE.encode(), "m.csv", "sue", dialer.now())
        dialer.wake()

        async def confirmed() -> bool:
            [call] = await store.calls(campaign.id)
            return call.status == "confirmed"

        await until(confirmed, timeout_s=60, what="the notice confirmed")
        await until(lambda: not dialer.legs, what="the leg gone")
        await until(lambda: prompts.private.held() == 0, what="the call's prompts dropped")
        fetched = private_fetches(app)
        assert fetched  # the notice (and its read-back) came from private URLs
        for url in fetched:
            async with http.get(url) as response:
                assert response.status == 404  # the call ended
        cache = app.renderer.cache_dir
        for sidecar in cache.glob("*.txt"):
            text = sidecar.read_text(encoding="utf-8")
            assert "{" not in text
            assert "1234" not in text, sidecar
            assert "风险度" not in text, sidecar
        assert call_prompt_dirs() == []
