"""HTTP sessions as Asterisk counts them: beyond `sessionlimit` a connection is closed at once,
unanswered (docs/asterisk-behaviour.md, "HTTP sessions"); a freed session lets the next in."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from ivr.sandbox import SandboxSwitch
from tests.helpers import until
from tests.integration.sandbox.conftest import Ari, basic_auth


async def test_a_connection_beyond_the_session_limit_is_dropped_unanswered(
    switch: SandboxSwitch, caplog: pytest.LogCaptureFixture
) -> None:
    switch.session_limit = 3
    async with aiohttp.ClientSession() as held:
        ari = Ari(held, switch.ari_url)
        streams = [await ari.events(app) for app in ("a1", "a2", "a3")]  # 3 sessions held
        assert switch.peak_sessions == 3
        async with aiohttp.ClientSession(headers=basic_auth("asterisk", "asterisk")) as other:
            with pytest.raises(aiohttp.ClientConnectionError):
                async with other.get(f"{switch.ari_url}/ari/asterisk/info") as resp:
                    await resp.read()
            assert switch.sessions_refused >= 1  # (aiohttp tries a GET twice)
            assert "HTTP session count exceeded 3 sessions." in caplog.text
            await streams[0].close()
            await until(lambda: switch.open_sessions < 3, what="the stream's session closed")
            async with other.get(f"{switch.ari_url}/ari/asterisk/info") as resp:
                assert resp.status == 200
        for stream in streams[1:]:
            await stream.close()
    assert switch.peak_sessions == 3
    levels = {r.levelno for r in caplog.records if "session count" in r.message}
    assert levels == {logging.WARNING}
