"""Fixtures: a whole app with the Korean Vosk test model as `asr.models.ko`, and espeak-ng
Korean utterances as 16 kHz WAV files a scenario caller speaks (`Speak` step)."""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from ivr.app import App
from ivr.clock import Clock
from ivr.settings import load_settings
from tests.integration.asr.conftest import espeak_pcm16, ko_model_dir
from tests.integration.call.conftest import MONDAY_10AM, ROOT

SPEECH_FLOWS = ROOT / "tests" / "fixtures" / "flows" / "speech"  # the test-only speech flows
KOREAN_FLOW = SPEECH_FLOWS / "test_korean.yaml"
KOREAN_LINE = "99901"  # test_korean.yaml's test-only number
SPEECH_SPEED = 2.0  # switch speed: prompts and the caller's audio run 2x real time
RATE_HZ = 16000

SpeechApp = Callable[..., AbstractAsyncContextManager[App]]


@pytest.fixture(scope="session")
def speech_tts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-tts-cache")


def write_settings(path: Path, model_dir: Path, *, max_active: int = 16) -> Path:
    path.write_text(
        "asr:\n"
        f"  max_active: {max_active}\n"
        "  models:\n"
        f"    ko: {model_dir}\n"
        "tts:\n"
        "  voices:\n"
        "    ko: ko\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def speech_app(tmp_path: Path, redis_server: str, speech_tts_cache: Path) -> SpeechApp:
    """`async with speech_app(model_dir=..., max_active=...) as app:` (defaults: the Korean
    test model, 16 recognizers); the model is loaded before the first call."""

    @asynccontextmanager
    async def make(*, model_dir: Path | None = None, max_active: int = 16) -> AsyncIterator[App]:
        settings_file = write_settings(
            tmp_path / "settings.yaml", model_dir or ko_model_dir(), max_active=max_active
        )
        environ = {
            "IVR_HTTP_PORT": "0",
            "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/ivr.db",
            "IVR_REDIS_URL": redis_server,
            "IVR_TTS_CACHE": str(speech_tts_cache),
            "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "IVR_SANDBOX_SPEED": str(SPEECH_SPEED),
            "IVR_FLOWS_DIR": str(SPEECH_FLOWS),
            "IVR_CONFIG_DIR": str(ROOT / "config"),
            "IVR_CALLS_DEFAULT_FLOW": "test_korean",
        }
        settings = load_settings(settings_file, environ)
        clock = Clock(speed=SPEECH_SPEED, fixed_now=MONDAY_10AM)
        app = await App.start(settings, tmp_path, clock=clock)
        try:
            speech = app.deps.speech
            if speech is not None and speech.registry.available("ko"):
                await speech.registry.aget("ko")  # 2-3 s once, before any call listens
            yield app
        finally:
            await app.stop()

    return make


@pytest.fixture(scope="session")
def korean_wavs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Text -> a 16 kHz mono WAV of espeak-ng Korean (0.5 s silence before, 1.2 s after)."""
    folder = tmp_path_factory.mktemp("korean-wavs")
    made: dict[str, Path] = {}

    def wav_of(text: str) -> Path:
        if text not in made:
            path = folder / f"utterance-{len(made)}.wav"
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE_HZ)
                w.writeframes(espeak_pcm16(text, RATE_HZ))
            made[text] = path
        return made[text]

    return wav_of
