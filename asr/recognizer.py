"""Recognizer port, the Vosk adapter, and the pool that bounds how many run at once.

Rules:
- The port: `await feed(pcm16)` returns the events that audio produced (`SpeechStarted`,
  `Final`, `NoInput`), `await finish()` flushes at end of stream, `reset()` listens anew (next
  menu). One utterance per listen: after `Final`/`NoInput` further audio is ignored.
- Times are audio time (frames of `EndpointConfig.frame_ms`), so tests are deterministic.
- Vosk calls block; they run in a worker thread (`asyncio.to_thread`, vosk releases the GIL),
  batched to about `batch_ms` of audio per hop. At most one hop per recognizer at a time: the
  caller awaits `feed()` before feeding again.
- Capacity: `RecognizerPool(max_active).try_acquire()` returns None when full; the menu then
  runs DTMF-only instead of waiting for a recognizer.
- `ivr` is never imported here; audio is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Literal, Protocol

from asr.endpoint import DEFAULT_ENDPOINT, EndpointConfig, Endpointer, Mark, frame_dbfs
from asr.intent import Evidence, Transcript, Word

log = logging.getLogger(__name__)

BYTES_PER_SAMPLE = 2
MAX_KEPT_BYTES = 16000 * BYTES_PER_SAMPLE * 10  # utterance audio kept for a late second pass
FreeformPass = Literal["off", "clipped", "always"]
FREEFORM_PASSES: tuple[FreeformPass, ...] = ("off", "clipped", "always")


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """Speech began at `at_ms` of audio time: a barge-in signal (stop the prompt)."""

    at_ms: int


@dataclass(frozen=True, slots=True)
class Final:
    """The utterance's result. `freeform` is the parallel free-form pass, when enabled."""

    transcript: Transcript
    end_ms: int
    grammar_mode: bool
    freeform: Transcript | None = None
    truncated: bool = False  # ended by max utterance length, not by silence
    clipped: bool = False  # speech already going when listening began (less than `lead_ms`)
    speech_ms: int = 0  # from speech start to the last voiced frame

    @property
    def evidence(self) -> Evidence:
        return Evidence(clipped=self.clipped, speech_ms=self.speech_ms)

    @property
    def text(self) -> str:
        return self.transcript.text

    @property
    def confidence(self) -> float:
        return self.transcript.confidence

    @property
    def words(self) -> tuple[Word, ...]:
        return self.transcript.words


@dataclass(frozen=True, slots=True)
class NoInput:
    at_ms: int


RecognizerEvent = SpeechStarted | Final | NoInput


class Recognizer(Protocol):
    """One call's speech recognizer (the port the session drives)."""

    async def feed(self, pcm16: bytes) -> list[RecognizerEvent]: ...

    async def finish(self) -> list[RecognizerEvent]: ...

    def reset(self) -> None: ...


class DecoderStream(Protocol):
    """One decoder (the Vosk adapter is `asr.vosk.VoskStream`)."""

    def accept(self, pcm16: bytes) -> bool: ...

    def reset(self) -> None: ...

    def final(self) -> Transcript: ...


class DecoderModel(Protocol):
    """A loaded model that makes decoders (the Vosk adapter is `asr.vosk.VoskModel`)."""

    def new_recognizer(
        self, sample_rate_hz: int, grammar: list[str] | None, *, scored: bool = False
    ) -> DecoderStream: ...


class VoskRecognizer:
    """`Recognizer` over a shared Vosk model: grammar mode when `grammar` is given.

    The free-form second pass (grammar mode only; `freeform_pass`): a free-form recognizer
    hears the same audio and its transcript rides on `Final.freeform` for `asr.intent.decide`
    to check the grammar result with; both transcripts then carry decoding scores. "always":
    in parallel with every utterance (about 6x the CPU of grammar mode); "clipped": only for a
    clipped utterance (speech that starts less than `lead_ms` after listening began, a likely
    fragment), decoded from the kept utterance audio once it ends (adds that decoding to the
    result's latency); "off": never. Audio before speech starts is dropped except the last
    `preroll_ms`, so a recognizer costs little while a prompt plays.
    """

    def __init__(
        self,
        model: DecoderModel,
        *,
        grammar: Sequence[str] | None,
        sample_rate_hz: int = 16000,
        freeform_pass: FreeformPass = "off",
        endpoint: EndpointConfig = DEFAULT_ENDPOINT,
        batch_ms: int = 100,
        preroll_ms: int = 300,
        lead_ms: int = 200,
    ) -> None:
        self._model = model
        self._grammar = list(grammar) if grammar is not None else None
        self._freeform_pass: FreeformPass = freeform_pass if grammar is not None else "off"
        self._utterance = bytearray()  # the current utterance's audio ("clipped" mode)
        self._rate = sample_rate_hz
        self._endpoint = endpoint
        bytes_per_ms = sample_rate_hz * BYTES_PER_SAMPLE // 1000
        self._frame_bytes = bytes_per_ms * endpoint.frame_ms
        self._batch_bytes = bytes_per_ms * batch_ms
        self._preroll_bytes = bytes_per_ms * preroll_ms
        self._lead_ms = lead_ms
        self._streams: list[DecoderStream] = []
        self._needs_reset = False
        self.reset()

    def reset(self) -> None:
        self._endpointer = Endpointer(self._endpoint)
        self._carry = bytearray()  # less than one frame, not yet seen by the endpointer
        self._pending = bytearray()  # frames seen but not yet given to Vosk
        self._needs_reset = bool(self._streams)

    async def feed(self, pcm16: bytes) -> list[RecognizerEvent]:
        if self._endpointer.done:
            return []
        self._carry += pcm16
        events: list[RecognizerEvent] = []
        marks: list[Mark] = []
        while len(self._carry) >= self._frame_bytes and not self._endpointer.done:
            frame = bytes(self._carry[: self._frame_bytes])
            del self._carry[: self._frame_bytes]
            marks += self._push_frame(frame)
        for mark in marks:
            events += await self._on_mark(mark)
        listening = self._endpointer.speech_start_frame is not None and not self._endpointer.done
        if listening and len(self._pending) >= self._batch_bytes:
            await self._flush()
        return events

    async def finish(self) -> list[RecognizerEvent]:
        """End of the audio stream: the utterance in progress, if any, becomes `Final`."""
        if self._endpointer.done or self._endpointer.speech_start_frame is None:
            return []
        self._endpointer.done = True
        return [await self._final(truncated=False)]

    def _push_frame(self, frame: bytes) -> list[Mark]:
        voiced = frame_dbfs(frame) >= self._endpoint.speech_threshold_dbfs
        marks = self._endpointer.push(voiced)
        self._pending += frame
        if self._endpointer.speech_start_frame is None and Mark.SPEECH_STARTED not in marks:
            del self._pending[: max(0, len(self._pending) - self._preroll_bytes)]
        return marks

    async def _on_mark(self, mark: Mark) -> list[RecognizerEvent]:
        ep = self._endpointer
        match mark:
            case Mark.SPEECH_STARTED:
                assert ep.speech_start_frame is not None
                return [SpeechStarted(ep.speech_start_frame * self._endpoint.frame_ms)]
            case Mark.NO_INPUT:
                self._pending.clear()
                return [NoInput(ep.now_ms)]
            case _:
                return [await self._final(truncated=mark is Mark.MAX_LENGTH)]

    async def _flush(self) -> None:
        data = bytes(self._pending)
        self._pending.clear()
        await asyncio.to_thread(self._accept, data)

    async def _final(self, *, truncated: bool) -> Final:
        data = bytes(self._pending)
        self._pending.clear()
        ep, frame_ms = self._endpointer, self._endpoint.frame_ms
        start_ms = (ep.speech_start_frame or 0) * frame_ms
        heard = await asyncio.to_thread(self._accept_and_finish, data, start_ms < self._lead_ms)
        return Final(
            heard[0],
            ep.now_ms,
            grammar_mode=self._grammar is not None,
            freeform=heard[1] if len(heard) > 1 else None,
            truncated=truncated,
            clipped=start_ms < self._lead_ms,
            speech_ms=max(0, ep.last_voiced_ms - start_ms),
        )

    # --- worker thread side --------------------------------------------------------------

    def _ready_streams(self) -> list[DecoderStream]:
        if not self._streams:
            scored = self._freeform_pass == "always"
            self._streams = [self._model.new_recognizer(self._rate, self._grammar, scored=scored)]
            if scored:
                self._streams.append(self._model.new_recognizer(self._rate, None, scored=True))
        elif self._needs_reset:
            for stream in self._streams:
                stream.reset()
            self._utterance.clear()
        self._needs_reset = False
        return self._streams

    def _accept(self, data: bytes) -> None:
        for stream in self._ready_streams():
            stream.accept(data)
        if self._freeform_pass == "clipped" and len(self._utterance) < MAX_KEPT_BYTES:
            self._utterance += data

    def _accept_and_finish(self, data: bytes, clipped: bool) -> list[Transcript]:
        self._accept(data)
        heard = [stream.final() for stream in self._streams]
        if self._freeform_pass == "clipped" and clipped:
            audio = bytes(self._utterance)
            grammar = self._model.new_recognizer(self._rate, self._grammar, scored=True)
            freeform = self._model.new_recognizer(self._rate, None, scored=True)
            for stream in (grammar, freeform):
                stream.accept(audio)
            scored = grammar.final()
            heard = [replace(heard[0], score=scored.score), freeform.final()]
        self._utterance.clear()
        return heard


class PoolLease:
    """A slot of a `RecognizerPool`; release it (or use `with`) when the menu stops listening."""

    def __init__(self, pool: RecognizerPool) -> None:
        self._pool: RecognizerPool | None = pool

    def release(self) -> None:
        if self._pool is not None:
            self._pool._release()
            self._pool = None

    def __enter__(self) -> PoolLease:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class RecognizerPool:
    """Bounded concurrency of active recognizers; full means "fall back to DTMF-only"."""

    def __init__(self, max_active: int) -> None:
        if max_active < 0:
            raise ValueError("max_active must be >= 0")
        self.max_active = max_active
        self._active = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> int:
        return self._active

    def try_acquire(self) -> PoolLease | None:
        """A lease when a slot is free, else None (never waits)."""
        with self._lock:
            if self._active >= self.max_active:
                log.warning(
                    "recognizer pool full max_active=%d: menu runs DTMF-only", self.max_active
                )
                return None
            self._active += 1
        return PoolLease(self)

    def _release(self) -> None:
        with self._lock:
            self._active -= 1
