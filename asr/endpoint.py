"""Endpointing (pure): per-frame voice activity -> speech started / end of utterance / no input.

Rules: time is audio time, counted in frames (20 ms by default), never the wall clock, so the
same audio always gives the same events. Speech starts after `speech_start_ms` of consecutive
voiced frames (a barge-in signal: the shell stops the prompt); the utterance ends after
`end_silence_ms` of consecutive unvoiced frames, or when it reaches `max_utterance_ms`; no
speech within `no_input_ms` of listening gives `no-input`. Voicing is an energy gate
(`frame_dbfs >= speech_threshold_dbfs`); `frame_dbfs` computes it from 16-bit samples.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    frame_ms: int = 20
    speech_threshold_dbfs: float = -40.0
    speech_start_ms: int = 100
    end_silence_ms: int = 700
    max_utterance_ms: int = 8000
    no_input_ms: int = 5000


DEFAULT_ENDPOINT = EndpointConfig()


class Mark(enum.Enum):
    SPEECH_STARTED = "speech-started"
    END_OF_UTTERANCE = "end-of-utterance"
    MAX_LENGTH = "max-length"
    NO_INPUT = "no-input"


def frame_dbfs(pcm16: bytes) -> float:
    """RMS level of 16-bit LE samples in dB relative to full scale (-inf for silence)."""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return -math.inf
    rms = float(np.sqrt(np.mean(samples * samples)))
    return 20.0 * math.log10(rms / 32768.0) if rms > 0 else -math.inf


class Endpointer:
    """State machine over frames; `push(voiced)` returns the marks that frame produced."""

    def __init__(self, config: EndpointConfig = EndpointConfig()) -> None:
        self.config = config
        self.frames = 0  # frames seen since listening began
        self.speech_start_frame: int | None = None
        self.done = False
        self._voiced_run = 0
        self._silent_run = 0

    def _frames(self, ms: int) -> int:
        return max(1, ms // self.config.frame_ms)

    @property
    def now_ms(self) -> int:
        return self.frames * self.config.frame_ms

    @property
    def last_voiced_ms(self) -> int:
        """End of the last voiced frame (audio time)."""
        return (self.frames - self._silent_run) * self.config.frame_ms

    def push(self, voiced: bool) -> list[Mark]:
        if self.done:
            return []
        self.frames += 1
        self._voiced_run = self._voiced_run + 1 if voiced else 0
        self._silent_run = 0 if voiced else self._silent_run + 1
        if self.speech_start_frame is None:
            return self._waiting()
        return self._in_speech()

    def _waiting(self) -> list[Mark]:
        if self._voiced_run >= self._frames(self.config.speech_start_ms):
            self.speech_start_frame = self.frames - self._voiced_run
            return [Mark.SPEECH_STARTED]
        if self.frames >= self._frames(self.config.no_input_ms):
            self.done = True
            return [Mark.NO_INPUT]
        return []

    def _in_speech(self) -> list[Mark]:
        assert self.speech_start_frame is not None
        if self._silent_run >= self._frames(self.config.end_silence_ms):
            self.done = True
            return [Mark.END_OF_UTTERANCE]
        if self.frames - self.speech_start_frame >= self._frames(self.config.max_utterance_ms):
            self.done = True
            return [Mark.MAX_LENGTH]
        return []
