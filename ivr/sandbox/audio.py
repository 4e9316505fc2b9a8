"""Audio helpers of the sandbox switch: WAV in/out, resampling, 20 ms frames, mu-law.

Role: what Asterisk's format and codec modules do for the switch. Prompts and recordings are
8 kHz mono 16-bit WAV (format_wav rejects other rates); chan_websocket sends slin16 (640-byte
little-endian frames) or ulaw (160 bytes), 50 frames per second; RTP slin16 is big-endian.

Rules: pure functions over bytes/numpy arrays; file reading is the caller's business.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

FRAME_S = 0.02
RATE_8K = 8000
RATE_16K = 16000

Samples = npt.NDArray[np.int16]


class WavError(ValueError):
    """Bytes that are not a WAV Asterisk would play."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    rate: int
    channels: int
    sample_width: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """20 ms of audio at both rates the switch needs (recordings 8 kHz, slin16 16 kHz)."""

    pcm8k: Samples  # 160 samples
    pcm16k: Samples  # 320 samples


def wav_info(data: bytes) -> WavInfo:
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            return WavInfo(w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavError(f"not a WAV file: {exc}") from exc


def playable_duration_s(data: bytes) -> float:
    """Duration of a prompt Asterisk can play as `.wav` (8 kHz mono 16-bit), else WavError."""
    info = wav_info(data)
    if (info.rate, info.channels, info.sample_width) != (RATE_8K, 1, 2):
        raise WavError(
            f"WAV is {info.rate} Hz, {info.channels} channel(s), {8 * info.sample_width}-bit; "
            "Asterisk plays .wav only as 8000 Hz mono 16-bit"
        )
    return info.duration_s


def read_wav_samples(data: bytes) -> tuple[Samples, int]:
    """Mono int16 samples and rate of any 16-bit PCM WAV (stereo is averaged)."""
    info = wav_info(data)
    if info.sample_width != 2:
        raise WavError(f"WAV must be 16-bit PCM, got {8 * info.sample_width}-bit")
    with wave.open(io.BytesIO(data), "rb") as w:
        raw = w.readframes(info.frames)
    samples = np.frombuffer(raw, dtype="<i2")
    if info.channels > 1:
        samples = samples.reshape(-1, info.channels).mean(axis=1).astype(np.int16)
    return samples.astype(np.int16), info.rate


def resample(samples: Samples, rate_in: int, rate_out: int) -> Samples:
    if rate_in == rate_out:
        return samples
    out = soxr.resample(samples.astype(np.float32), rate_in, rate_out)
    result: Samples = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    return result


def frames_of(data: bytes) -> list[AudioFrame]:
    """Split a WAV into 20 ms frames (the last one zero-padded)."""
    samples, rate = read_wav_samples(data)
    s8, s16 = resample(samples, rate, RATE_8K), resample(samples, rate, RATE_16K)
    count = max(1, int(np.ceil(len(s8) / 160)))
    s8 = np.pad(s8, (0, count * 160 - len(s8)))
    s16 = np.pad(s16[: count * 320], (0, max(0, count * 320 - len(s16))))
    return [
        AudioFrame(s8[i * 160 : (i + 1) * 160], s16[i * 320 : (i + 1) * 320]) for i in range(count)
    ]


def wav_bytes(samples: Samples, rate: int = RATE_8K) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def ulaw_encode(samples: Samples) -> bytes:
    """G.711 mu-law (the table-free formula of ITU-T G.711, bias 0x84, clip 32635)."""
    x = np.clip(samples.astype(np.int32), -32635, 32635)
    sign = np.where(x < 0, 0x80, 0x00)
    mag = np.abs(x) + 0x84
    exponent = np.floor(np.log2(mag)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (mag >> (exponent + 3)) & 0x0F
    byte = ~(sign | (exponent << 4) | mantissa) & 0xFF
    encoded: bytes = byte.astype(np.uint8).tobytes()
    return encoded


def encode_frame(frame: AudioFrame, fmt: str, *, big_endian: bool = False) -> bytes:
    """Payload of one 20 ms frame for a media channel format (`slin16`, `ulaw`, `slin`)."""
    if fmt == "ulaw":
        return ulaw_encode(frame.pcm8k)
    order = ">i2" if big_endian else "<i2"
    source = frame.pcm16k if fmt == "slin16" else frame.pcm8k
    return source.astype(order).tobytes()
