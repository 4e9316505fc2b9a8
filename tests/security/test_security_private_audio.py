"""Caller-specific prompts are private: the trade read-back of a verified caller is rendered
for that call only, in memory, never into the shared TTS cache and never with a text sidecar;
it is served at a signed, unguessable URL while the call lasts, and 404 once the call ended.
A forged or expired signature is 403. After the call nothing caller-specific is on disk, and
the text never reached a command line (slow speech is rendered by the espeak-ng CLI)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ivr.app import App
from ivr.call.media import HttpPromptMedia
from ivr.prompts.tts import PromptRenderer
from ivr.web.errors import loggable
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.security.conftest import AppFactory

READ_BACK = "共成交2笔"  # the start of today's trades read back for the sample account


def private_fetches(app: App) -> list[str]:
    assert app.switch is not None
    return [url for url in app.switch.media.fetches if "/prompts/private/" in url]


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def call_prompt_dirs() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob("ivr-call-prompt-*"))


async def test_read_back_is_private_to_the_call(app_factory: AppFactory, tmp_path: Path) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        prompts = app.deps.prompts
        assert isinstance(prompts, HttpPromptMedia)
        driver = await CallDriver.dial(app, caller="13900000000")
        await driver.run("1,2,3,12345678#,123456")
        [url] = await until(lambda: private_fetches(app), timeout_s=30, what="the read-back")
        call, prompt_id, expires, signature = url.removesuffix(".wav").split("/")[-4:]
        assert call == driver.channel_id
        assert len(prompt_id) == 32
        async with http.get(url) as response:  # no token: Asterisk fetches it like this
            assert (response.status, response.headers["Content-Type"]) == (200, "audio/wav")
            assert response.headers["Cache-Control"] == "private, no-store"
            audio = await response.read()
        assert audio[:4] == b"RIFF"
        base = url.rsplit("/", 2)[0]
        forged = f"{base}/{expires}/{'0' * 64}.wav"
        later = str(int(expires) + 3600)
        stretched = f"{base}/{later}/{signature}.wav"  # a later expiry with the old signature
        past = "1000000000"
        expired = f"{base}/{past}/{prompts.private.sign(call, prompt_id, int(past))}.wav"
        other_call = url.replace(f"/private/{call}/", "/private/someone-else/")
        for bad in (forged, stretched, expired, other_call):
            async with http.get(bad) as response:
                assert response.status == 403, bad

        driver.hang_up()
        await driver.ended()
        async with http.get(url) as response:
            assert response.status == 404  # the call ended: its prompts are gone
        assert prompts.private.held() == 0

        cache = app.renderer.cache_dir
        sidecars = [p.read_text(encoding="utf-8") for p in cache.glob("*.txt")]
        assert sidecars  # static prompts keep theirs (transcripts)
        assert not any(READ_BACK in text or "{" in text for text in sidecars)
        for path in files_under(cache, tmp_path):
            assert path.read_bytes() != audio, path
            if path.suffix in (".txt", ".json", ".jsonl", ".log", ".yaml"):
                assert READ_BACK not in path.read_text(encoding="utf-8", errors="replace"), path
        assert call_prompt_dirs() == []


@pytest.mark.parametrize("synthesizer", ["auto", "espeak-ng"])
async def test_a_slow_private_prompt_is_never_on_a_command_line_or_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthesizer: str
) -> None:
    """Slower speech (elderly callers) is rendered by the espeak-ng command line (the library
    engine keeps one rate), as is everything when the library cannot start: the caller's text
    goes in on stdin, never in the arguments every local user can read (`ps`)."""
    calls: list[tuple[list[str], bytes | None]] = []
    real_run = subprocess.run

    def spy(command: list[str], **kwargs: Any) -> Any:
        calls.append((list(command), kwargs.get("input")))
        return real_run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    cache = tmp_path / "cache"
    renderer = PromptRenderer(cache, {"zh-CN": "cmn-latn-pinyin"}, synthesizer=synthesizer)
    text = "您尾号5678的账户今日共成交2笔，可用资金十二万三千四百五十六元。"
    audio = await renderer.render_private(text, "zh-CN", slow=True)
    assert audio[:4] == b"RIFF"
    espeak = [(argv, given) for argv, given in calls if "espeak-ng" in argv[0]]
    assert espeak  # the slow rate went through the command line
    for argv, given in espeak:
        assert not any("5678" in arg or "成交" in arg for arg in argv), argv
        assert given == text.encode("utf-8")
    assert files_under(cache) == []
    assert call_prompt_dirs() == []


def test_a_signed_link_never_reaches_a_log_line() -> None:
    path = f"/prompts/private/c-1/{'a' * 32}/1900000000/{'b' * 64}.wav"
    assert loggable(path) == "/prompts/private/..."
    assert loggable("/api/calls/7") == "/api/calls/7"
