"""Fixtures for sandbox switch tests: a running switch (speed 50), prompts, plain aiohttp clients.

The switch is tested with plain `aiohttp.ClientSession` REST calls and `ws_connect` event
sockets (never with the project's ARI client), so a client bug cannot hide a switch bug.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from ivr.sandbox import SandboxConfig, SandboxSwitch
from ivr.sandbox.audio import wav_bytes
from tests.helpers import until

APP = "futures-ivr"
SPEED = 50.0


def tone_wav(path: Path, *, freq_hz: float, seconds: float, rate: int = 8000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    path.write_bytes(wav_bytes((6000 * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16), rate))
    return path


@pytest.fixture
def sounds_dir(tmp_path: Path) -> Path:
    d = tmp_path / "sounds"
    (d / "en").mkdir(parents=True)
    tone_wav(d / "en" / "hello-world.wav", freq_hz=440, seconds=1.5)
    tone_wav(d / "short.wav", freq_hz=600, seconds=0.2)
    tone_wav(d / "wrong-rate.wav", freq_hz=600, seconds=0.5, rate=16000)
    return d


@pytest.fixture
def recordings_dir(tmp_path: Path) -> Path:
    d = tmp_path / "recording"
    d.mkdir()
    return d


@pytest.fixture
async def switch(sounds_dir: Path, recordings_dir: Path) -> AsyncIterator[SandboxSwitch]:
    config = SandboxConfig(
        speed=SPEED, sounds_dir=sounds_dir, recordings_dir=recordings_dir, stasis_app=APP
    )
    sw = SandboxSwitch(config)
    await sw.start()
    try:
        yield sw
    finally:
        await sw.stop()


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Ari:
    """Plain REST + events access to the switch, as any ARI client would do it."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.headers = basic_auth("asterisk", "asterisk")
        self.streams: list[Events] = []

    async def req(self, method: str, path: str, **params: Any) -> tuple[int, Any]:
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        async with self.session.request(
            method, f"{self.base}/ari{path}", params=query, headers=self.headers
        ) as resp:
            text = await resp.text()
            body = json.loads(text) if text and resp.content_type == "application/json" else text
            return resp.status, body

    async def events(self, app: str = APP) -> Events:
        ws = await self.session.ws_connect(
            f"{self.base}/ari/events",
            params={"app": app, "subscribeAll": "true"},
            headers=self.headers,
        )
        stream = Events(ws)
        self.streams.append(stream)
        return stream


class Events:
    """An events websocket that collects everything it receives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: list[dict[str, Any]] = []
        self._cursor = 0
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.received.append(json.loads(msg.data))

    async def next(self, event_type: str | None = None, timeout_s: float = 5.0) -> dict[str, Any]:
        """The next event not yet consumed (of `event_type`, skipping others)."""

        def found() -> dict[str, Any] | None:
            while self._cursor < len(self.received):
                event = self.received[self._cursor]
                self._cursor += 1
                if event_type in (None, event["type"]):
                    return event
            return None

        result = await until(found, timeout_s=timeout_s, what=f"event {event_type}")
        assert result is not None
        return result

    def types(self) -> list[str]:
        return [e["type"] for e in self.received]

    async def close(self) -> None:
        await self.ws.close()
        await self._task


@pytest.fixture
async def ari(switch: SandboxSwitch) -> AsyncIterator[Ari]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        client = Ari(session, switch.ari_url)
        yield client
        for stream in client.streams:
            await stream.close()
