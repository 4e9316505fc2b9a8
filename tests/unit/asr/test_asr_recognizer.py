"""VoskRecognizer's shell logic over a fake decoder: audio-time events, pre-roll, batching."""

from __future__ import annotations

import numpy as np

from asr.endpoint import EndpointConfig
from asr.intent import Transcript, Word
from asr.recognizer import Final, NoInput, SpeechStarted, VoskRecognizer

FRAME = 640  # 20 ms at 16 kHz
LOUD = np.full(320, 8000, dtype="<i2").tobytes()
QUIET = bytes(FRAME)


class FakeStream:
    def __init__(self, grammar: list[str] | None) -> None:
        self.grammar = grammar
        self.chunks: list[int] = []
        self.resets = 0
        self.total = 0

    def accept(self, pcm16: bytes) -> bool:
        self.chunks.append(len(pcm16))
        self.total += len(pcm16)
        return False

    def reset(self) -> None:
        self.resets += 1

    def final(self) -> Transcript:
        heard = sum(self.chunks)
        self.chunks.clear()
        text = "free" if self.grammar is None else "계좌"
        return Transcript(text, (Word(text, 0.9),), 0.9 if heard else 0.0)


class FakeModel:
    def __init__(self) -> None:
        self.streams: list[FakeStream] = []

    def new_recognizer(
        self, sample_rate_hz: int, grammar: list[str] | None, *, scored: bool = False
    ) -> FakeStream:
        self.streams.append(FakeStream(grammar))
        return self.streams[-1]


CONFIG = EndpointConfig(
    speech_start_ms=40, end_silence_ms=200, max_utterance_ms=1000, no_input_ms=400
)


async def feed_all(rec: VoskRecognizer, frames: list[bytes]) -> list[object]:
    events: list[object] = []
    for frame in frames:
        events += await rec.feed(frame)
    return events


async def test_speech_then_silence_gives_started_and_final_in_audio_time() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], endpoint=CONFIG, preroll_ms=60)
    frames = [QUIET] * 10 + [LOUD] * 20 + [QUIET] * 12
    events = await feed_all(rec, frames)
    assert events[0] == SpeechStarted(200)
    final = events[1]
    assert isinstance(final, Final)
    assert (final.text, final.end_ms, final.grammar_mode, final.truncated) == (
        "계좌",
        800,
        True,
        False,
    )
    assert final.freeform is None
    assert len(events) == 2
    assert await rec.feed(LOUD) == []  # one utterance per listen


async def test_silence_before_speech_is_not_decoded_except_preroll() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], endpoint=CONFIG, preroll_ms=60)
    await feed_all(rec, [QUIET] * 15 + [LOUD] * 20)
    await rec.finish()
    # the 60 ms pre-roll keeps the 3 frames before the start mark (2 quiet + the first loud),
    # then the 19 other loud frames; the other 13 quiet frames are never decoded
    assert model.streams[0].total == FRAME * (3 + 19)
    assert model.streams[0].grammar == ["계좌"]


async def test_audio_is_batched_per_100_ms() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], endpoint=CONFIG, preroll_ms=0)
    await feed_all(rec, [LOUD] * 12)
    assert model.streams[0].chunks == [FRAME * 5, FRAME * 5]


async def test_no_input_then_reset_listens_again() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], endpoint=CONFIG)
    assert await feed_all(rec, [QUIET] * 25) == [NoInput(400)]
    rec.reset()
    events = await feed_all(rec, [LOUD] * 5 + [QUIET] * 10)
    assert events[0] == SpeechStarted(0)
    assert isinstance(events[1], Final)


async def test_max_length_truncates_and_finish_flushes_speech() -> None:
    rec = VoskRecognizer(FakeModel(), grammar=None, endpoint=CONFIG)
    events = await feed_all(rec, [LOUD] * 60)
    assert isinstance(events[-1], Final)
    assert events[-1].truncated
    assert not events[-1].grammar_mode
    rec.reset()
    await feed_all(rec, [LOUD] * 5)
    [final] = await rec.finish()
    assert isinstance(final, Final)
    assert await rec.finish() == []


async def test_freeform_pass_rides_on_final() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], freeform_pass="always", endpoint=CONFIG)
    events = await feed_all(rec, [LOUD] * 5 + [QUIET] * 10)
    final = events[-1]
    assert isinstance(final, Final)
    assert final.freeform == Transcript("free", (Word("free", 0.9),), 0.9)
    assert [s.grammar for s in model.streams] == [["계좌"], None]


async def test_streams_are_reused_and_reset_between_listens() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], endpoint=CONFIG)
    for _ in range(3):
        rec.reset()
        await feed_all(rec, [LOUD] * 5 + [QUIET] * 10)
    assert len(model.streams) == 1
    assert model.streams[0].resets == 2


async def test_clipped_mode_runs_the_second_pass_only_for_a_clipped_utterance() -> None:
    model = FakeModel()
    rec = VoskRecognizer(model, grammar=["계좌"], freeform_pass="clipped", endpoint=CONFIG)
    [_, calm] = await feed_all(rec, [QUIET] * 15 + [LOUD] * 5 + [QUIET] * 10)
    assert isinstance(calm, Final)
    assert (calm.clipped, calm.freeform, calm.speech_ms) == (False, None, 100)
    assert len(model.streams) == 1  # nothing but the grammar decoder
    rec.reset()
    [_, clipped] = await feed_all(rec, [LOUD] * 5 + [QUIET] * 10)  # talking from the first frame
    assert isinstance(clipped, Final)
    assert clipped.clipped
    assert clipped.freeform == Transcript("free", (Word("free", 0.9),), 0.9)
    second_pass = model.streams[1:]
    assert [s.grammar for s in second_pass] == [["계좌"], None]
    assert [s.total for s in second_pass] == [15 * FRAME] * 2  # the whole kept utterance
