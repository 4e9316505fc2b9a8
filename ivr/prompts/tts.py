"""`PromptRenderer`: TTS prompts as telephony WAV (8 kHz, mono, 16-bit), cached on disk.

Rules:
- Synthesis: pyttsx3's espeak driver (espeak-ng library), voices per language from settings
  (zh-CN -> `cmn-latn-pinyin`: Debian 12's plain `cmn` misreads many characters; en -> `en`).
  pyttsx3 exposes espeak-ng voices by file id (`sit/cmn-latn-pinyin`, `gmw/en`); a configured
  name matches an id exactly or by its last path part. When pyttsx3 cannot start, the
  renderer falls back to the `espeak-ng -w` command line (and logs that once), which reads
  the text on stdin: never in its arguments, which every local user can read.
- pyttsx3 is not thread-safe and espeak-ng's library state is process-wide: ONE dedicated
  worker thread per process (shared by every renderer) creates and owns the engine; every
  synthesis (and the soxr resampling after it) runs there. `await render(text, language)`
  queues work to it and never blocks the loop.
- pyttsx3's `_espeak.Synth` tells espeak-ng a text buffer 10x longer than it is (an
  out-of-bounds read, now and then a segfault): replaced by `_synth_in_bounds` on first use.
- Cache: file `<sha256 of (text, voice, rate)>.wav` in the cache dir, written atomically
  (temp file + rename). A hit returns at once; concurrent requests for one key render once.
  A file found is remembered for `FOUND_RECHECK_S` (no hash, no stat on each play); a cache
  emptied by hand is noticed within that time and the prompt rendered again.
- `timings_s` keeps the wall time of each fresh render (synthesis + resampling).
- `render_private` renders a caller-specific text WITHOUT the cache: in a fresh owner-only
  temporary directory that is removed before it returns the WAV bytes (ivr.prompts.private).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import difflib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import wave
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soxr

from ivr.errors import IvrError

log = logging.getLogger(__name__)

TELEPHONY_RATE_HZ = 8000
SLOW_FACTOR = 0.75  # a slow prompt (elderly callers) is spoken at 3/4 of the configured rate
ESPEAK_TIMEOUT_S = 30.0


_worker_lock = threading.Lock()
_worker: ThreadPoolExecutor | None = None
_synthesizers: dict[str, Synthesizer] = {}  # by choice; touched only in the worker thread


def speech_worker() -> ThreadPoolExecutor:
    """The process-wide TTS worker (one thread, created on first use)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        return _worker


class TtsError(IvrError):
    """A prompt cannot be rendered (unknown language or voice, synthesis failure)."""


class NoAudio(TtsError):
    """The synthesizer ran but wrote no (or empty) audio."""


class Synthesizer(Protocol):
    """Writes `text` spoken with `voice` at `rate_wpm` to `out` (a WAV at any rate).

    Only ever called from the renderer's worker thread.
    """

    name: str

    def synthesize(self, text: str, voice: str, rate_wpm: int, out: Path) -> None: ...


def _synth_in_bounds(espeak: Any) -> Callable[..., int]:
    """pyttsx3's `_espeak.Synth`, with the buffer size espeak-ng is told made true.

    pyttsx3 passes `len(text) * 10` as the size of the text buffer; espeak-ng (asynchronous
    mode) copies that many bytes out of it, reading 9x the text length past the end of the
    Python bytes object. Now and then that read crosses into unmapped memory: the segfault
    "in Synth" seen under load. Here the buffer holds the text and its NUL, and the size
    given is that buffer's length.
    """

    def synth(
        text: str | bytes,
        position: int = 0,
        position_type: int = espeak.POS_CHARACTER,
        end_position: int = 0,
        flags: int = 0,
        user_data: Any = None,
    ) -> int:
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        buffer = ctypes.create_string_buffer(data)  # the text and one NUL
        size = ctypes.sizeof(buffer)
        where = (position, position_type, end_position)
        return int(espeak.cSynth(buffer, size, *where, flags, None, user_data))

    synth.in_bounds = True  # type: ignore[attr-defined]
    return synth


class Pyttsx3Synthesizer:
    """pyttsx3 + espeak driver. Create it in the worker thread: it owns the engine."""

    name = "pyttsx3"

    def __init__(self) -> None:
        import pyttsx3
        import pyttsx3.drivers.espeak as espeak_driver

        # The driver print()s "Audio saved to ..." after every file; silence that module only.
        espeak_driver.print = lambda *args, **kwargs: None
        if not getattr(espeak_driver._espeak.Synth, "in_bounds", False):
            espeak_driver._espeak.Synth = _synth_in_bounds(espeak_driver._espeak)
        self._engine: Any = pyttsx3.init("espeak")
        self._voice_ids = [v.id for v in self._engine.getProperty("voices")]
        # espeak runs in retrieval (asynchronous) mode: `runAndWait` returns once the
        # utterance is *queued*, and the file is written later from espeak's own thread.
        # Without waiting for the end, the next job's voice and rate settings race the
        # utterance still being spoken (prompts at the wrong rate, audio of one job in
        # another's file). The driver reports the end as `finished-utterance`.
        self._finished = threading.Event()
        self._rate: int | None = None
        self._engine.connect("finished-utterance", self._on_finished)

    def _on_finished(self, **_: object) -> None:
        self._finished.set()

    def _voice_id(self, voice: str) -> str:
        for voice_id in self._voice_ids:
            if voice in (voice_id, voice_id.rsplit("/", 1)[-1]):
                return str(voice_id)
        short = [v.rsplit("/", 1)[-1] for v in self._voice_ids]
        close = difflib.get_close_matches(voice, short, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise TtsError(f"espeak-ng has no voice {voice!r}{hint}; see `espeak-ng --voices`")

    def synthesize(self, text: str, voice: str, rate_wpm: int, out: Path) -> None:
        # A rate change through the driver takes effect one utterance late now and then
        # (measured: about 1 slow prompt in 3 came out at the normal rate). The engine is
        # therefore pinned to the first rate it is asked for, settled by a warm-up
        # utterance; a job at any other rate goes to the command line, which is exact.
        if self._rate is None:
            self._rate = rate_wpm
            self._engine.setProperty("rate", rate_wpm)
            with tempfile.TemporaryDirectory(prefix="ivr-tts-") as folder:
                self._speak(".", voice, Path(folder) / "warm-up.wav")
        if rate_wpm != self._rate:
            EspeakCliSynthesizer().synthesize(text, voice, rate_wpm, out)
            return
        self._speak(text, voice, out)

    def _speak(self, text: str, voice: str, out: Path) -> None:
        self._finished.clear()
        self._engine.setProperty("voice", self._voice_id(voice))
        self._engine.save_to_file(text, str(out))
        self._engine.runAndWait()
        if not self._finished.wait(ESPEAK_TIMEOUT_S):
            self._engine.stop()
            raise NoAudio(f"pyttsx3 did not finish within {ESPEAK_TIMEOUT_S:g} s")
        if not out.exists():
            raise NoAudio(f"pyttsx3 produced no audio for voice {voice!r}")


def espeak_exe() -> str:
    """The espeak-ng program; `TtsError` with the fix when it is not installed."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise TtsError("espeak-ng is not installed; apt-get install espeak-ng")
    return exe


def run_espeak(args: list[str], text: str, timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    """Run espeak-ng with `args`, the text on stdin, never as an argument: a command line is
    readable by every local user (`ps`, /proc/<pid>/cmdline), and private prompts hold a
    caller's data. A run over `timeout_s` is a `TtsError`."""
    try:
        return subprocess.run(
            [espeak_exe(), *args, "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TtsError(f"espeak-ng took longer than {timeout_s:g} s") from None


class EspeakCliSynthesizer:
    """The `espeak-ng` command line (fallback when pyttsx3 cannot run)."""

    name = "espeak-ng"

    def __init__(self) -> None:
        espeak_exe()  # not installed: fail at start, with the fix

    def synthesize(self, text: str, voice: str, rate_wpm: int, out: Path) -> None:
        args = ["-v", voice, "-s", str(rate_wpm), "-w", str(out)]
        done = run_espeak(args, text, ESPEAK_TIMEOUT_S)
        if done.returncode != 0 or not out.exists():
            problem = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            raise TtsError(f"espeak-ng failed for voice {voice!r}: {problem}")


MIN_AUDIO_FRAMES = 800  # 0.1 s at 8 kHz: anything shorter is a failed synthesis


def _check_audio(path: Path, voice: str) -> None:
    try:
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
    except (OSError, EOFError, wave.Error):
        frames = 0
    if frames < MIN_AUDIO_FRAMES:
        raise NoAudio(f"synthesis produced no audio for voice {voice!r}")


def default_synthesizer() -> Synthesizer:
    """pyttsx3 when it starts here, otherwise the espeak-ng command line."""
    try:
        return Pyttsx3Synthesizer()
    except (ImportError, RuntimeError, OSError) as exc:
        log.warning("pyttsx3 unavailable (%s): using the espeak-ng command line", exc)
        return EspeakCliSynthesizer()


def to_telephony_wav(source: Path, target: Path) -> None:
    """Resample a 16-bit WAV (any rate, mono or stereo) to 8 kHz mono 16-bit with soxr."""
    with wave.open(str(source), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise TtsError(f"{source}: expected 16-bit audio, got {8 * wav.getsampwidth()}-bit")
        rate_hz, channels = wav.getframerate(), wav.getnchannels()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = pcm.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0
    if rate_hz != TELEPHONY_RATE_HZ:
        samples = soxr.resample(samples, rate_hz, TELEPHONY_RATE_HZ, quality="HQ")
    out = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(TELEPHONY_RATE_HZ)
        wav.writeframes(out.tobytes())


@dataclass(frozen=True, slots=True)
class RenderJob:
    text: str
    voice: str
    rate_wpm: int
    target: Path


FOUND_RECHECK_S = 10.0  # a cached file seen this recently is not looked for again
FOUND_LIMIT = 10_000  # prompt texts remembered as found (static texts: a flow's few hundred)
_FoundKey = tuple[str, str, bool, int]  # text, voice, slow, words per minute


class PromptRenderer:
    """Renders prompt texts to cached telephony WAVs on one dedicated worker thread."""

    def __init__(
        self,
        cache_dir: Path,
        voices: Mapping[str, str],
        rate_wpm: int = 160,
        synthesizer: str | Callable[[], Synthesizer] = "auto",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`synthesizer`: "auto" (pyttsx3, else espeak-ng), "pyttsx3", "espeak-ng", or a
        factory called once in the worker thread; `clock` (seconds) times `FOUND_RECHECK_S`."""
        self.cache_dir = cache_dir
        self.voices = dict(voices)
        self.rate_wpm = rate_wpm
        self.timings_s: list[float] = []
        self._choice = synthesizer
        self._synth: Synthesizer | None = None
        self._pending: dict[str, asyncio.Future[Path]] = {}
        self._clock = clock
        self._found: dict[_FoundKey, tuple[Path, float]] = {}  # -> (file, seen until)

    @property
    def backend(self) -> str | None:
        """The synthesizer in use (`pyttsx3` or `espeak-ng`), None before the first render."""
        return self._synth.name if self._synth is not None else None

    def voice_for(self, language: str, voice: str | None = None) -> str:
        if voice:
            return voice
        try:
            return self.voices[language]
        except KeyError:
            known = ", ".join(sorted(self.voices))
            raise TtsError(
                f"no TTS voice for language {language!r} (configured: {known});"
                " add it under tts.voices in config/settings.yaml"
            ) from None

    def rate(self, slow: bool = False) -> int:
        """Words per minute: the configured rate, or `SLOW_FACTOR` of it for a slow prompt."""
        return round(self.rate_wpm * SLOW_FACTOR) if slow else self.rate_wpm

    def cache_key(self, text: str, voice: str, slow: bool = False) -> str:
        blob = json.dumps([text, voice, self.rate(slow)], ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def cache_path(
        self, text: str, language: str, voice: str | None = None, slow: bool = False
    ) -> Path:
        voice_name = self.voice_for(language, voice)
        return self.cache_dir / f"{self.cache_key(text, voice_name, slow)}.wav"

    def is_cached(
        self, text: str, language: str, voice: str | None = None, slow: bool = False
    ) -> bool:
        return self.cache_path(text, language, voice, slow).is_file()

    async def render(
        self, text: str, language: str, voice: str | None = None, slow: bool = False
    ) -> Path:
        """The path of `text` spoken in `language` as 8 kHz mono 16-bit WAV (cached)."""
        if not text.strip():
            raise TtsError("cannot render an empty prompt text")
        voice_name = self.voice_for(language, voice)
        memo = (text, voice_name, slow, self.rate_wpm)
        found = self._found.get(memo)
        now = self._clock()
        if found is not None and found[1] > now:
            return found[0]  # seen on disk a moment ago: no hash, no stat on every play
        key = self.cache_key(text, voice_name, slow)
        target = self.cache_dir / f"{key}.wav"
        if target.is_file():
            if len(self._found) >= FOUND_LIMIT:
                self._found.clear()
            self._found[memo] = (target, now + FOUND_RECHECK_S)
            return target
        pending = self._pending.get(key)
        if pending is None:
            job = RenderJob(text, voice_name, self.rate(slow), target)
            loop = asyncio.get_running_loop()
            pending = asyncio.ensure_future(loop.run_in_executor(speech_worker(), self._run, job))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def render_private(
        self, text: str, language: str, voice: str | None = None, slow: bool = False
    ) -> bytes:
        """`text` spoken as telephony WAV bytes, never cached: nothing stays on disk."""
        if not text.strip():
            raise TtsError("cannot render an empty prompt text")
        voice_name = self.voice_for(language, voice)
        loop = asyncio.get_running_loop()
        run = self._run_private
        return await loop.run_in_executor(speech_worker(), run, text, voice_name, self.rate(slow))

    def _run_private(self, text: str, voice: str, rate_wpm: int) -> bytes:
        with tempfile.TemporaryDirectory(prefix="ivr-call-prompt-") as folder:  # mode 0700
            job = RenderJob(text, voice, rate_wpm, Path(folder) / "prompt.wav")
            return self._run(job).read_bytes()

    async def close(self) -> None:
        """Wait for this renderer's queued renders (the shared worker thread stays)."""
        await asyncio.gather(*self._pending.values(), return_exceptions=True)

    # --- worker thread only -------------------------------------------------------------------

    def _synthesizer(self) -> Synthesizer:
        if self._synth is None:
            factories: dict[str, Callable[[], Synthesizer]] = {
                "auto": default_synthesizer,
                "pyttsx3": Pyttsx3Synthesizer,
                "espeak-ng": EspeakCliSynthesizer,
            }
            choice = self._choice
            if not isinstance(choice, str):
                self._synth = choice()
            elif choice in _synthesizers:
                self._synth = _synthesizers[choice]
            elif choice in factories:
                self._synth = _synthesizers[choice] = factories[choice]()
            else:
                raise TtsError(f"unknown synthesizer {choice!r}; use auto, pyttsx3 or espeak-ng")
        return self._synth

    def _synthesize(self, job: RenderJob, raw: Path) -> None:
        """pyttsx3's espeak driver now and then drops an utterance (no file or an empty
        WAV): check the audio and render that job with the espeak-ng command line instead."""
        synth = self._synthesizer()
        try:
            synth.synthesize(job.text, job.voice, job.rate_wpm, raw)
            _check_audio(raw, job.voice)
        except NoAudio as exc:
            if synth.name == EspeakCliSynthesizer.name:
                raise
            log.warning("%s; rendering with the espeak-ng command line", exc)
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()
            EspeakCliSynthesizer().synthesize(job.text, job.voice, job.rate_wpm, raw)
            _check_audio(raw, job.voice)

    def _run(self, job: RenderJob) -> Path:
        assert threading.current_thread().name.startswith("tts")
        if job.target.is_file():  # rendered by a previous queued job
            return job.target
        started = time.perf_counter()
        job.target.parent.mkdir(parents=True, exist_ok=True)
        stem = f".{job.target.stem}.{uuid.uuid4().hex}"
        raw, tmp = job.target.with_name(f"{stem}.raw.wav"), job.target.with_name(f"{stem}.wav")
        try:
            self._synthesize(job, raw)
            to_telephony_wav(raw, tmp)
            os.replace(tmp, job.target)
        finally:
            for leftover in (raw, tmp):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        elapsed_s = time.perf_counter() - started
        self.timings_s.append(elapsed_s)
        log.debug("tts rendered voice=%s chars=%d in %.3f s", job.voice, len(job.text), elapsed_s)
        return job.target
