"""PromptRenderer with the real espeak-ng (via pyttsx3 and the CLI): telephony WAVs, cache."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from ivr.prompts.tts import FOUND_RECHECK_S, PromptRenderer, TtsError

VOICES = {"zh-CN": "cmn-latn-pinyin", "en": "en"}
ZH = "您好，欢迎致电期货客服热线。"
EN = "Welcome to the futures hotline."


@pytest.fixture
async def renderer(tmp_path: Path) -> AsyncIterator[PromptRenderer]:
    r = PromptRenderer(tmp_path / "cache", VOICES, rate_wpm=160)
    yield r
    await r.close()


def audio_of(path: Path) -> tuple[int, int, int, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), frames


def assert_telephony_speech(path: Path, min_s: float, max_s: float) -> float:
    rate_hz, channels, width, frames = audio_of(path)
    assert (rate_hz, channels, width) == (8000, 1, 2)
    duration_s = len(frames) / rate_hz
    assert min_s < duration_s < max_s
    rms = float(np.sqrt(np.mean(frames.astype(np.float64) ** 2)))
    assert rms > 300  # speech, not silence (full scale 32767)
    return duration_s


@pytest.mark.parametrize(("text", "language"), [(ZH, "zh-CN"), (EN, "en")])
async def test_renders_a_telephony_prompt(
    renderer: PromptRenderer, text: str, language: str
) -> None:
    path = await renderer.render(text, language)
    assert path.parent == renderer.cache_dir
    assert path.name == f"{renderer.cache_key(text, VOICES[language])}.wav"
    assert_telephony_speech(path, 1.0, 6.0)
    assert renderer.backend == "pyttsx3"
    assert len(renderer.timings_s) == 1
    assert sorted(p.name for p in renderer.cache_dir.iterdir()) == [path.name]  # no temp left


async def test_mandarin_uses_the_pinyin_voice_not_english(renderer: PromptRenderer) -> None:
    zh = await renderer.render(ZH, "zh-CN")
    as_english = await renderer.render(ZH, "en")  # English voice spells out "Chinese letter"s
    assert zh != as_english
    assert len(audio_of(zh)[3]) < len(audio_of(as_english)[3])


async def test_cache_hit_does_not_render_again(renderer: PromptRenderer) -> None:
    first = await renderer.render(EN, "en")
    mtime_ns = first.stat().st_mtime_ns
    second = await renderer.render(EN, "en")
    assert second == first
    assert first.stat().st_mtime_ns == mtime_ns
    assert len(renderer.timings_s) == 1
    fresh = PromptRenderer(renderer.cache_dir, VOICES, rate_wpm=160)  # cache survives restarts
    try:
        assert await fresh.render(EN, "en") == first
        assert fresh.timings_s == []
        assert fresh.backend is None  # never even started a synthesizer
    finally:
        await fresh.close()


async def test_a_cache_emptied_by_hand_is_noticed_after_the_recheck_time(tmp_path: Path) -> None:
    now = [100.0]
    r = PromptRenderer(tmp_path / "cache", VOICES, rate_wpm=160, clock=lambda: now[0])
    try:
        first = await r.render(EN, "en")
        assert await r.render(EN, "en") == first  # found on disk: remembered
        first.unlink()
        now[0] += FOUND_RECHECK_S - 0.5
        assert await r.render(EN, "en") == first  # still trusted: no stat on each play
        assert len(r.timings_s) == 1
        now[0] += 1.0
        again = await r.render(EN, "en")
        assert again == first
        assert again.is_file()
        assert len(r.timings_s) == 2
    finally:
        await r.close()


async def test_concurrent_requests_for_one_key_render_once(renderer: PromptRenderer) -> None:
    paths = await asyncio.gather(*(renderer.render(ZH, "zh-CN") for _ in range(8)))
    assert len(set(paths)) == 1
    assert len(renderer.timings_s) == 1
    other_rate = PromptRenderer(renderer.cache_dir, VOICES, rate_wpm=120)
    try:
        assert await other_rate.render(ZH, "zh-CN") != paths[0]  # rate is part of the key
    finally:
        await other_rate.close()


async def test_espeak_cli_fallback_renders_the_same_format(tmp_path: Path) -> None:
    r = PromptRenderer(tmp_path, VOICES, synthesizer="espeak-ng")
    try:
        assert_telephony_speech(await r.render(ZH, "zh-CN"), 1.0, 6.0)
        assert r.backend == "espeak-ng"
    finally:
        await r.close()


async def test_unknown_voice_and_language_are_tts_errors(renderer: PromptRenderer) -> None:
    with pytest.raises(TtsError) as caught:
        await renderer.render(EN, "en", voice="cmn-latn-pinyn")
    assert str(caught.value) == (
        "espeak-ng has no voice 'cmn-latn-pinyn' (did you mean cmn-latn-pinyin?);"
        " see `espeak-ng --voices`"
    )
    with pytest.raises(TtsError) as caught:
        await renderer.render(EN, "fr")
    assert str(caught.value) == (
        "no TTS voice for language 'fr' (configured: en, zh-CN);"
        " add it under tts.voices in config/settings.yaml"
    )
    assert list(renderer.cache_dir.iterdir()) == []  # nothing half-written


async def test_a_slow_prompt_is_spoken_at_three_quarters_of_the_rate(tmp_path: Path) -> None:
    renderer = PromptRenderer(tmp_path, {"zh-CN": "cmn-latn-pinyin"}, rate_wpm=160)
    try:
        text = "您好，欢迎致电期货客户服务热线。"
        normal = await renderer.render(text, "zh-CN")
        slow = await renderer.render(text, "zh-CN", slow=True)
        assert normal != slow  # cached apart
        assert renderer.rate(slow=True) == 120
        with wave.open(str(normal)) as a, wave.open(str(slow)) as b:
            assert b.getnframes() > a.getnframes() * 1.2  # longer: spoken slower
    finally:
        await renderer.close()


async def test_prompts_alternating_between_two_rates_each_keep_their_own_rate(
    tmp_path: Path,
) -> None:
    """The driver applied a rate change one utterance late now and then: a slow prompt came
    out at the normal rate about one run in three. Ten alternations, each distinct text,
    must each come out at their own rate."""
    renderer = PromptRenderer(tmp_path, {"zh-CN": "cmn-latn-pinyin"}, rate_wpm=160)
    try:
        for n in range(10):
            text = f"您好，这是第{'一二三四五六七八九十'[n]}条提示。"
            normal = await renderer.render(text, "zh-CN")
            slow = await renderer.render(text, "zh-CN", slow=True)
            with wave.open(str(normal)) as a, wave.open(str(slow)) as b:
                assert b.getnframes() > a.getnframes() * 1.2, f"prompt {n}"
    finally:
        await renderer.close()
