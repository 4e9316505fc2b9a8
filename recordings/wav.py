"""WAV header reading (pure: bytes in, facts out) for sealing a recording.

Rules: walk the RIFF chunks up to `data`; take channels, rate and sample width from `fmt `.
Asterisk writes 8 kHz mono 16-bit PCM. A data size that is 0, 0xFFFFFFFF or larger than the
file (a writer that died before fixing the header) is replaced by what the file really holds.
Duration is data bytes / byte rate, in whole milliseconds (rounded down).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER_READ_BYTES = 4096  # enough for RIFF + fmt + LIST/fact chunks before `data`


@dataclass(frozen=True, slots=True)
class WavInfo:
    channels: int
    sample_rate_hz: int
    bits_per_sample: int
    data_bytes: int

    @property
    def byte_rate(self) -> int:
        return self.sample_rate_hz * self.channels * self.bits_per_sample // 8

    @property
    def duration_ms(self) -> int:
        return self.data_bytes * 1000 // self.byte_rate


class WavHeaderError(ValueError):
    """Why a header is unusable (the caller wraps it with the file path)."""


def _fmt(body: bytes) -> tuple[int, int, int]:
    if len(body) < 16:
        raise WavHeaderError("'fmt ' chunk is too short")
    audio_format, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", body[:16])
    if audio_format not in (1, 0xFFFE):
        raise WavHeaderError(f"audio format {audio_format} is not PCM")
    if channels < 1 or rate < 1 or bits not in (8, 16, 24, 32):
        raise WavHeaderError(f"unsupported PCM layout ({channels} ch, {rate} Hz, {bits} bit)")
    return channels, rate, bits


def parse_wav_header(head: bytes, file_size: int) -> WavInfo:
    """Facts of a WAV file from its first bytes (`head`) and its size on disk."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise WavHeaderError("no RIFF/WAVE header")
    offset, fmt = 12, None
    while offset + 8 <= len(head):
        chunk_id, size = (
            head[offset : offset + 4],
            struct.unpack("<I", head[offset + 4 : offset + 8])[0],
        )
        body_at = offset + 8
        if chunk_id == b"fmt ":
            fmt = _fmt(head[body_at : body_at + size])
        elif chunk_id == b"data":
            if fmt is None:
                raise WavHeaderError("'data' chunk before 'fmt '")
            available = max(0, file_size - body_at)
            data_bytes = available if size in (0, 0xFFFFFFFF) or size > available else size
            return WavInfo(fmt[0], fmt[1], fmt[2], data_bytes)
        offset = body_at + size + (size & 1)
    raise WavHeaderError("no 'data' chunk in the first 4096 bytes")
