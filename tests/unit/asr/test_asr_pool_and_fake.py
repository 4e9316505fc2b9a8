"""Recognizer pool bounds and the scripted fake recognizer."""

from __future__ import annotations

from asr.intent import Transcript
from asr.recognizer import FakeRecognizer, Final, NoInput, RecognizerPool, SpeechStarted


def test_pool_full_gives_the_dtmf_only_fallback_signal() -> None:
    pool = RecognizerPool(max_active=2)
    first, second = pool.try_acquire(), pool.try_acquire()
    assert first is not None
    assert second is not None
    assert pool.try_acquire() is None  # full: the menu runs DTMF-only
    first.release()
    first.release()  # idempotent
    assert pool.active == 1
    with pool.try_acquire() as third:  # type: ignore[union-attr]
        assert pool.active == 2
    assert third is not None
    assert pool.active == 1


def test_zero_capacity_pool_never_hands_out() -> None:
    assert RecognizerPool(0).try_acquire() is None


async def test_fake_recognizer_emits_events_at_their_audio_time() -> None:
    final = Final(Transcript("계좌"), end_ms=900, grammar_mode=True)
    fake = FakeRecognizer([(900, final), (200, SpeechStarted(200))])
    chunk = bytes(640)  # 20 ms at 16 kHz
    seen = []
    for _ in range(50):
        seen += await fake.feed(chunk)
    assert seen == [SpeechStarted(200), final]
    assert await fake.finish() == []
    fake.reset()
    assert await FakeRecognizer([(0, NoInput(0))]).feed(b"") == [NoInput(0)]
