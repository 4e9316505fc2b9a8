"""`ivr recordings ...` through the real dispatcher, on a SQLite file and a storage root."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import ivr.cli
from ivr.store import CallStore, create_engine, migrate_engine
from recordings import Recording, RecordingIndex, Source, load_recordings_config

from .conftest import ROOT, T0, write_wav


@dataclass
class Setup:
    settings: Path
    storage: Path
    emergency: Recording
    complaint: Recording


@pytest.fixture
async def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    url = f"sqlite+aiosqlite:///{tmp_path}/ivr.db"
    storage = tmp_path / "recordings"
    monkeypatch.setenv("IVR_DATABASE_URL", url)
    monkeypatch.setenv("IVR_RECORDINGS_DIR", str(storage))
    monkeypatch.setenv("IVR_CONFIG_DIR", str(ROOT / "config"))
    if "recordings" not in ivr.cli.COMMAND_MODULES:
        monkeypatch.setattr(ivr.cli, "COMMAND_MODULES", (*ivr.cli.COMMAND_MODULES, "recordings"))
    settings = tmp_path / "settings.yaml"
    settings.write_text("", encoding="utf-8")
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
        config = load_recordings_config(ROOT / "config" / "recordings.yaml")
        index = RecordingIndex(engine, storage, config, now=lambda: T0)
        spool = tmp_path / "spool"
        recs = []
        for call_id, purpose, started in (
            ("c1", "emergency", T0),
            ("c2", "complaint", T0 - timedelta(days=6 * 366)),
        ):
            rec = await index.open_recording(
                call_id, purpose, started_at=started, account="8800123456"
            )
            recs.append(await index.seal(rec.name, write_wav(spool / f"{rec.name}.wav", 2.0)))
    finally:
        await engine.dispose()
    return Setup(settings, storage, recs[0], recs[1])


def run(setup: Setup, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = ivr.cli.main(["recordings", *args, "--settings", str(setup.settings)])
    out, err = capsys.readouterr()
    return status, out, err


def test_list_as_table_and_json(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(setup, ["list", "--purpose", "emergency"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "ID", "STARTED", "CALL", "PURPOSE", "SOURCE", "ACCOUNT", "DUR", "STATUS", "HOLD",
        "RETAIN", "UNTIL", "SHA256",
    ]  # fmt: skip
    assert lines[1].split() == [
        "1", "2026-11-25", "10:00:00", "c1", "emergency", "channel", "****3456", "2.0s",
        "sealed", "-", "2046-11-25", str(setup.emergency.sha256)[:12],
    ]  # fmt: skip
    assert len(lines) == 2
    status, out, _ = run(setup, ["list", "--call", "c2", "--json"], capsys)
    doc = json.loads(out)
    assert [(d["id"], d["name"], d["status"], d["duration_s"]) for d in doc] == [
        (2, "c2-complaint-1", "sealed", 2.0)
    ]
    assert doc[0]["file_path"] == "2020/11/20/c2-complaint-1.wav"
    assert "8800123456" not in out


def test_verify_ok_then_tampered_byte_exits_1(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(setup, ["verify"], capsys) == (
        0, "OK: 2 sealed recordings match their sha256 and cover their calls\n", "",
    )  # fmt: skip
    path = setup.storage / setup.emergency.file_path
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    status, out, _ = run(setup, ["verify"], capsys)
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert status == 1
    assert out.splitlines() == [
        f"MISMATCH 1 {path}: sha256 {actual} != sealed {setup.emergency.sha256}",
        "1 of 2 sealed recordings do not match their seal",
    ]


def test_purge_dry_run_hold_and_real_purge(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    complaint_file = setup.storage / setup.complaint.file_path
    status, out, _ = run(setup, ["purge", "--dry-run"], capsys)
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()] == ["ID", "2", "would"]
    assert out.splitlines()[-1] == "would purge 1 recording(s)"
    assert complaint_file.exists()

    status, out, _ = run(
        setup, ["hold", "2", "--reason", "12386 complaint", "--by", "carol"], capsys
    )
    assert (status, out) == (0, "recording 2 (c2-complaint-1) under legal hold\n")
    status, out, _ = run(setup, ["purge", "--dry-run"], capsys)
    assert out == "nothing to purge: no sealed recording past retention without hold\n"

    run(setup, ["hold", "2", "--release", "--reason", "closed", "--by", "carol"], capsys)
    status, out, _ = run(setup, ["purge", "--yes", "--by", "ops"], capsys)
    assert (status, out.splitlines()[-1]) == (0, "purged 1 recording(s)")
    assert not complaint_file.exists()


def test_purge_needs_a_mode_and_hold_an_existing_id(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(setup, ["purge"], capsys) == (
        1, "", "ivr: say --dry-run to preview or --yes to delete (not both, not neither)\n",
    )  # fmt: skip
    assert run(setup, ["hold", "99", "--reason", "x"], capsys) == (
        1, "", "ivr: no recording 99; `ivr recordings list` shows the indexed ones\n",
    )  # fmt: skip


def test_orphans_exit_1_when_found(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(setup, ["orphans"], capsys) == (0, "no orphans\n", "")
    stray = write_wav(setup.storage / "2026/11/25/ghost-emergency-1.wav", 1.0)
    lost = setup.storage / setup.complaint.file_path
    lost.unlink()
    status, out, _ = run(setup, ["orphans"], capsys)
    assert (status, out.splitlines()) == (1, [
        f"FILE WITHOUT ROW {stray}",
        f"ROW WITHOUT FILE 2 {lost}: sealed file missing",
        "2 orphan(s)",
    ])  # fmt: skip


async def _call_recording(setup: Setup, call_id: str, seconds: float, span_s: float) -> Recording:
    engine = create_engine(os.environ["IVR_DATABASE_URL"])
    try:
        index = RecordingIndex(
            engine, setup.storage, load_recordings_config(ROOT / "config" / "recordings.yaml"),
            now=lambda: T0,
        )  # fmt: skip
        rec = await index.open_recording(call_id, "emergency", source=Source.SNOOP, covers_from=T0)
        sealed = await index.seal(
            rec.name, write_wav(setup.storage.parent / "in" / f"{rec.name}.wav", seconds)
        )
        await index.close_span(call_id, "emergency", T0 + timedelta(seconds=span_s))
        return sealed
    finally:
        await engine.dispose()


async def test_a_44_byte_recording_of_a_two_minute_call_is_empty(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = await _call_recording(setup, "c3", 0.0, 120.0)
    assert rec.size_bytes == 44
    status, out, err = await asyncio.to_thread(run, setup, ["verify"], capsys)
    assert (status, err) == (1, "")
    assert out.splitlines() == [
        f"EMPTY {rec.id} {setup.storage / rec.file_path}: no audio (44-byte file)",
        "1 of 3 sealed recordings hold no audio",
    ]


async def test_short_calls_in_verify_and_coverage(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    short = await _call_recording(setup, "c4", 12.0, 118.4)
    await _call_recording(setup, "c5", 59.5, 60.0)
    status, out, _ = await asyncio.to_thread(run, setup, ["verify"], capsys)
    assert status == 1
    assert out.splitlines() == [
        f"SHORT {short.id}: covers 12.0 s of a 118.4 s call",
        "1 recorded call(s) not covered by their recordings",
    ]
    status, out, _ = await asyncio.to_thread(
        run, setup, ["coverage", "--since", "2026-11-25"], capsys
    )
    assert status == 1
    assert out.splitlines() == [
        "2026-11-25T02:00:00+00:00 call c4 emergency: 12.0 s of 118.4 s (10%)"
        f" recordings {short.id}",
        "1 of 2 recorded calls covered below 95%",
    ]
    status, out, _ = await asyncio.to_thread(
        run, setup, ["coverage", "--since", "2026-11-26"], capsys
    )
    assert (status, out) == (0, "OK: 0 recorded calls covered at 95% or more\n")


def test_coverage_since_must_be_a_date(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(setup, ["coverage", "--since", "yesterday"], capsys)
    assert (status, out) == (1, "")
    assert err == (
        "ivr: --since 'yesterday' is not a date; use e.g. 2026-12-01 or 2026-12-01T09:00+08:00\n"
    )


async def test_coverage_lists_an_answered_emergency_call_with_no_recording_at_all(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """A call of a recorded flow (`calls.recorded_flows`) that was answered and has no
    recording row is the worst gap of all: `coverage` names it and exits 1. A hotline call
    (not recorded) and an emergency caller who hung up before the answer are not listed."""
    await _call_recording(setup, "c5", 59.5, 60.0)  # recorded and covered
    engine = create_engine(os.environ["IVR_DATABASE_URL"])
    try:
        calls = CallStore(engine)
        for call_id, flow, answered in (("c7", "emergency", True), ("c8", "hotline", True),
                                        ("c9", "emergency", False)):  # fmt: skip
            cid = await calls.create_call(
                channel_id=f"ch-{call_id}", caller="13800000001", dialed="95556",
                language="zh-CN", flow=flow, call_id=call_id, started_at=T0,
            )  # fmt: skip
            if answered:
                await calls.mark_answered(cid, at=T0 + timedelta(seconds=1))
            await calls.close_call(cid, "hangup", "normal", at=T0 + timedelta(seconds=63))
    finally:
        await engine.dispose()
    status, out, _ = await asyncio.to_thread(
        run, setup, ["coverage", "--since", "2026-11-25"], capsys
    )
    assert status == 1
    assert out.splitlines() == [
        f"{T0.isoformat(timespec='seconds')} call c7 emergency: no recording of a 62.0 s call",
        "1 of 2 recorded calls covered below 95%",
    ]
