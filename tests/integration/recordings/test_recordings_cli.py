"""`ivr recordings ...` through the real dispatcher, on a SQLite file and a storage root."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import ivr.cli
from ivr.store import create_engine, migrate_engine
from recordings import Recording, RecordingIndex, load_recordings_config

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
        0, "OK: 2 sealed recordings match their sha256\n", "",
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
