"""Endpointing in audio time: frames in, marks out."""

from __future__ import annotations

import math

import numpy as np

from asr.endpoint import EndpointConfig, Endpointer, Mark, frame_dbfs

CONFIG = EndpointConfig(
    speech_start_ms=60, end_silence_ms=100, max_utterance_ms=200, no_input_ms=100
)


def run(voicing: str, config: EndpointConfig = CONFIG) -> list[tuple[int, Mark]]:
    """'1' voiced frame, '0' silent frame -> (frame number, mark) pairs."""
    ep = Endpointer(config)
    return [(ep.frames, m) for v in voicing for m in ep.push(v == "1")]


def test_speech_start_then_end_after_silence() -> None:
    assert run("0011100000") == [(5, Mark.SPEECH_STARTED), (10, Mark.END_OF_UTTERANCE)]


def test_short_click_is_not_speech_and_times_out() -> None:
    assert run("01100") == [(5, Mark.NO_INPUT)]


def test_max_utterance_length_ends_long_speech() -> None:
    assert run("1" * 20) == [(3, Mark.SPEECH_STARTED), (10, Mark.MAX_LENGTH)]


def test_nothing_after_done() -> None:
    ep = Endpointer(CONFIG)
    for _ in range(5):
        ep.push(False)
    assert ep.done
    assert ep.push(True) == []
    assert ep.now_ms == 100


def test_speech_start_frame_is_the_first_voiced_frame() -> None:
    ep = Endpointer(CONFIG)
    for v in "0111":
        ep.push(v == "1")
    assert ep.speech_start_frame == 1


def test_frame_dbfs() -> None:
    full = np.full(320, 32767, dtype="<i2").tobytes()
    assert frame_dbfs(full) > -0.01
    assert frame_dbfs(bytes(640)) == -math.inf
    assert frame_dbfs(b"") == -math.inf
    quiet = np.full(320, 328, dtype="<i2").tobytes()
    assert round(frame_dbfs(quiet)) == -40
