"""PromptRenderer without espeak: resampling, cache keys, one worker thread, dedup."""

from __future__ import annotations

import asyncio
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ivr.prompts.tts import PromptRenderer, TtsError, _synth_in_bounds, to_telephony_wav


def write_sine(path: Path, rate_hz: int, channels: int, seconds: float, freq_hz: float) -> None:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    mono = (np.sin(2 * np.pi * freq_hz * t) * 16000).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate_hz)
        wav.writeframes(np.repeat(mono, channels).tobytes())


def test_resamples_to_8k_mono_16bit_keeping_pitch_and_length(tmp_path: Path) -> None:
    write_sine(tmp_path / "in.wav", 22050, 2, 1.0, 440.0)
    to_telephony_wav(tmp_path / "in.wav", tmp_path / "out.wav")
    with wave.open(str(tmp_path / "out.wav"), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert len(frames) == 8000
    spectrum = np.abs(np.fft.rfft(frames.astype(np.float64)))
    assert int(np.argmax(spectrum)) == 440  # 1 Hz bins over one second


class FakeSynth:
    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int, str]] = []

    def synthesize(self, text: str, voice: str, rate_wpm: int, out: Path) -> None:
        self.calls.append((text, voice, rate_wpm, threading.current_thread().name))
        write_sine(out, 16000, 1, 0.5, 300.0)


async def test_one_worker_thread_and_one_render_per_key(tmp_path: Path) -> None:
    fake = FakeSynth()
    made_in: list[str] = []

    def factory() -> FakeSynth:
        made_in.append(threading.current_thread().name)
        return fake

    renderer = PromptRenderer(tmp_path, {"en": "en"}, rate_wpm=150, synthesizer=factory)
    try:
        texts = ["one", "two", "one", "two", "one"]
        paths = await asyncio.gather(*(renderer.render(t, "en") for t in texts))
        again = await renderer.render("one", "en")
    finally:
        await renderer.close()
    assert paths[0] == paths[2] == paths[4] == again
    assert paths[1] == paths[3] != paths[0]
    assert sorted(c[:3] for c in fake.calls) == [("one", "en", 150), ("two", "en", 150)]
    threads = {c[3] for c in fake.calls} | set(made_in)
    assert len(threads) == 1
    assert threads.pop().startswith("tts")
    assert len(renderer.timings_s) == 2


def test_cache_key_depends_on_text_voice_and_rate(tmp_path: Path) -> None:
    a = PromptRenderer(tmp_path, {"en": "en"}, rate_wpm=160, synthesizer=FakeSynth)
    b = PromptRenderer(tmp_path, {"en": "en"}, rate_wpm=170, synthesizer=FakeSynth)
    keys = {a.cache_key("hi", "en"), a.cache_key("hi", "en-us"), a.cache_key("ho", "en")}
    keys.add(b.cache_key("hi", "en"))
    assert len(keys) == 4
    assert a.cache_key("hi", "en") == a.cache_key("hi", "en")
    assert a.cache_path("hi", "en") == tmp_path / f"{a.cache_key('hi', 'en')}.wav"


async def test_empty_text_is_refused(tmp_path: Path) -> None:
    renderer = PromptRenderer(tmp_path, {"en": "en"}, synthesizer=FakeSynth)
    with pytest.raises(TtsError, match=r"^cannot render an empty prompt text$"):
        await renderer.render("  ", "en")
    await renderer.close()


def test_espeak_is_told_the_true_size_of_the_text_buffer() -> None:
    """pyttsx3 passes len(text) * 10 as the buffer size and espeak-ng copies that many bytes:
    the replacement passes the text, its NUL, and exactly that length."""
    seen: list[tuple[bytes, int, int]] = []

    class FakeEspeak:
        POS_CHARACTER = 1

        @staticmethod
        def cSynth(text: Any, size: int, *rest: Any) -> int:
            seen.append((bytes(text.raw), size, rest[3]))
            return 0

    synth = _synth_in_bounds(FakeEspeak)
    text = "请按 1 for English"
    assert synth(text.encode("utf-8"), flags=3) == 0
    assert synth(text) == 0
    for raw, size, _ in seen:
        assert raw == text.encode("utf-8") + b"\0"
        assert size == len(raw)
    assert [flags for _, _, flags in seen] == [3, 0]
