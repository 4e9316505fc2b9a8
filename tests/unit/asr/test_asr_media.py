"""Media intake, pure parts: G.711 decode, RTP parsing, chan_websocket control messages."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from asr.errors import MediaProtocolError
from asr.media import (
    AudioDecoder,
    DtmfEnded,
    MarkProcessed,
    MediaStarted,
    MediaStatus,
    Resampler,
    media_url,
    parse_control,
    parse_media_start,
    parse_rtp,
    ulaw_to_pcm16,
)

SAMPLES = Path(os.environ.get("IVR_ARI_SAMPLES", "/nonexistent")) / "chan_websocket"


def sample(name: str) -> dict[str, object]:
    if not SAMPLES.is_dir():
        pytest.skip("IVR_ARI_SAMPLES (recorded ARI samples) not set")
    data: dict[str, object] = json.loads((SAMPLES / f"{name}.json").read_text())
    return data


def test_ulaw_decode_known_values() -> None:
    pcm = np.frombuffer(ulaw_to_pcm16(bytes([0xFF, 0x7F, 0x00, 0x80, 0xEF])), dtype="<i2")
    assert pcm.tolist() == [0, 0, -32124, 32124, 132]


def test_media_start_from_asterisk_sample() -> None:
    assert parse_media_start(sample("MEDIA_START")) == MediaStarted(
        connection_id="464764c0-7b74-4957-919c-ef044378c6da",
        channel_id="wsm-ulaw-213023",
        format="ulaw",
        optimal_frame_size=160,
        ptime_ms=20,
    )


def test_first_message_must_be_media_start() -> None:
    with pytest.raises(MediaProtocolError, match=r"expected MEDIA_START .* got event='STATUS'"):
        parse_media_start(sample("STATUS"))
    with pytest.raises(MediaProtocolError, match="format='g722'"):
        parse_media_start({"event": "MEDIA_START", "format": "g722"})


def test_control_messages_from_asterisk_samples() -> None:
    assert parse_control(sample("DTMF_END")) == DtmfEnded("5")
    assert parse_control(sample("STATUS")) == MediaStatus(0, False, False)
    assert parse_control(sample("MEDIA_MARK_PROCESSED")) == MarkProcessed("mark-1")
    assert parse_control({"event": "MEDIA_XON"}) is None


def test_rtp_header_with_csrc_extension_and_padding() -> None:
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 1, 0x80 | 0, 7, 1120, 99)
    csrc = struct.pack("!I", 5)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00" * 4
    packet = header + csrc + extension + b"\x01\x02\x03" + b"\x00\x02"
    parsed = parse_rtp(packet)
    assert (parsed.payload_type, parsed.sequence, parsed.timestamp, parsed.ssrc) == (0, 7, 1120, 99)
    assert parsed.payload == b"\x01\x02\x03"


def test_rtp_rejects_garbage() -> None:
    with pytest.raises(MediaProtocolError, match="not an RTP v2 packet"):
        parse_rtp(b"\x00" * 20)
    with pytest.raises(MediaProtocolError, match="truncated"):
        parse_rtp(struct.pack("!BBHII", 0x90, 0, 1, 1, 1))


def test_ulaw_8k_frames_become_16k_pcm() -> None:
    decoder = AudioDecoder("ulaw", 16000)
    out = b"".join(decoder.decode(b"\xff" * 160) for _ in range(50)) + decoder.flush()
    assert len(out) == 16000 * 2  # one second of 8 kHz ulaw -> one second at 16 kHz


def test_slin16_passes_through() -> None:
    assert Resampler(16000, 16000).process(b"\x01\x02") == b"\x01\x02"
    assert AudioDecoder("slin16", 16000).decode(b"\x01\x02\x03") == b"\x01\x02"


def test_media_url() -> None:
    assert media_url("ws://pbx:8088/", "abc") == "ws://pbx:8088/media/abc"


def test_ulaw_encode_round_trips_within_quantisation() -> None:
    from asr.media import pcm16_to_ulaw

    pcm = np.array([0, 100, -100, 1000, -1000, 30000, -32768, 32767], dtype="<i2")
    back = np.frombuffer(ulaw_to_pcm16(pcm16_to_ulaw(pcm.tobytes())), dtype="<i2")
    error = np.abs(back.astype(int) - pcm.astype(int))
    assert np.all(error <= np.maximum(8, np.abs(pcm.astype(int)) // 16))
    assert pcm16_to_ulaw(bytes(2)) in (b"\xff", b"\x7f")
