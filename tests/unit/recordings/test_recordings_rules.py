"""Pure rules of recordings: names, layout, masking, retention periods, purge verdicts, WAV."""

from __future__ import annotations

import io
import struct
import wave
from datetime import UTC, date, datetime
from pathlib import PurePosixPath

import pytest

from recordings.errors import RecordingsError, UnknownPurpose
from recordings.naming import (
    is_layout_path,
    mask_account,
    parse_name,
    recording_name,
    storage_relpath,
)
from recordings.retention import (
    PurgeVerdict,
    RetentionPolicy,
    RetentionRule,
    add_years,
    purge_verdict,
)
from recordings.wav import WavHeaderError, parse_wav_header


def test_names_and_layout_by_local_date() -> None:
    name = recording_name("c0ffee.17", "emergency", 2)
    assert name == "c0ffee.17-emergency-2"
    assert parse_name(name) == ("c0ffee.17", "emergency", 2)
    assert parse_name("random-file") is None
    relpath = storage_relpath(name, date(2026, 3, 9))
    assert relpath == PurePosixPath("2026/03/09/c0ffee.17-emergency-2.wav")
    assert is_layout_path(relpath)
    assert not is_layout_path("2026/3/9/x.wav")


@pytest.mark.parametrize("call_id", ["../etc", "a/b", "with-dash", "", "x" * 65])
def test_unsafe_call_ids_are_refused(call_id: str) -> None:
    with pytest.raises(RecordingsError) as caught:
        recording_name(call_id, "emergency", 1)
    assert str(caught.value) == (
        f"call id {call_id!r} cannot name a recording: use letters, digits, '.' or '_'"
        " (at most 64, no '-' or '/')"
    )


def test_accounts_are_masked_to_the_last_four() -> None:
    assert mask_account("8800123456") == "****3456"
    assert mask_account("12345") == "****"
    assert mask_account(None) is None
    assert mask_account("") is None


SH = "Asia/Shanghai"


def test_retention_counts_local_calendar_years() -> None:
    policy = RetentionPolicy()
    start = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 01:00 on the 26th in Shanghai
    assert policy.retention_until("emergency", start) == datetime(2046, 11, 25, 17, 0, tzinfo=UTC)
    assert policy.retention_until("complaint", start) == datetime(2031, 11, 25, 17, 0, tzinfo=UTC)
    assert policy.local_day(start) == date(2026, 11, 26)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)


def test_unknown_purpose_names_the_known_ones() -> None:
    with pytest.raises(UnknownPurpose) as caught:
        RetentionPolicy().retention_until("gossip", datetime(2026, 1, 5, tzinfo=UTC))
    assert str(caught.value) == (
        "unknown recording purpose 'gossip'; known: complaint, emergency, voice_order"
        " (add it under 'retention' in config/recordings.yaml)"
    )


def test_order_records_cannot_be_kept_under_20_years() -> None:
    with pytest.raises(RecordingsError) as caught:
        RetentionRule("emergency", 19, order_record=True)
    assert str(caught.value) == (
        "retention of 'emergency' is 19 years; order records must be kept at least 20 years"
        " (期货和衍生品法 §117)"
    )


T = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sealed", "purged", "held", "until", "verdict"),
    [
        (True, False, False, T, PurgeVerdict.PURGE),  # retention date reached exactly
        (True, False, False, datetime(2030, 1, 2, tzinfo=UTC), PurgeVerdict.RETAINED),
        (True, False, True, datetime(2020, 1, 1, tzinfo=UTC), PurgeVerdict.HELD),
        (False, False, False, datetime(2020, 1, 1, tzinfo=UTC), PurgeVerdict.NOT_SEALED),
        (False, True, False, datetime(2020, 1, 1, tzinfo=UTC), PurgeVerdict.PURGED),
    ],
)
def test_purge_verdicts(
    sealed: bool, purged: bool, held: bool, until: datetime, verdict: PurgeVerdict
) -> None:
    assert (
        purge_verdict(sealed=sealed, purged=purged, legal_hold=held, retention_until=until, now=T)
        is verdict
    )


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x01\x00" * int(seconds * rate))
    return buffer.getvalue()


def test_wav_header_gives_duration_in_ms() -> None:
    data = wav_bytes(2.5)
    info = parse_wav_header(data[:4096], len(data))
    assert (info.channels, info.sample_rate_hz, info.bits_per_sample) == (1, 8000, 16)
    assert (info.data_bytes, info.duration_ms) == (40000, 2500)


def test_unfinished_header_uses_what_the_file_holds() -> None:
    data = bytearray(wav_bytes(1.0))
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)  # writer died before fixing the data size
    assert parse_wav_header(bytes(data[:4096]), len(data)).duration_ms == 1000
    truncated = bytes(data[:8044])  # half the audio
    assert parse_wav_header(truncated, len(truncated)).duration_ms == 500


@pytest.mark.parametrize(
    ("head", "why"),
    [
        (b"OggS" + b"\0" * 40, "no RIFF/WAVE header"),
        (b"RIFF\0\0\0\0WAVEdata\0\0\0\0", "'data' chunk before 'fmt '"),
        (b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0" + struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32),
         "audio format 3 is not PCM"),
    ],
)  # fmt: skip
def test_bad_headers_say_why(head: bytes, why: str) -> None:
    with pytest.raises(WavHeaderError) as caught:
        parse_wav_header(head, len(head))
    assert str(caught.value) == why
