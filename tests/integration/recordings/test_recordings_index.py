"""The recording index on a real (migrated) SQLite database and real files."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from recordings import (
    AuditAction,
    AuditReasonMissing,
    BadWav,
    Recording,
    RecordingIndex,
    RecordingStatus,
    RecordingUnavailable,
    Source,
    UnknownPurpose,
)

from .conftest import T0, FakeClock, write_wav


async def test_open_names_the_recording_and_plans_its_path(index: RecordingIndex) -> None:
    late = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 01:00 on the 26th in Shanghai
    first = await index.open_recording(
        "call7", "emergency", source=Source.BRIDGE, source_id="br-1", account="8800123456",
        started_at=late,
    )  # fmt: skip
    assert (first.id, first.name, first.status) == (
        1,
        "call7-emergency-1",
        RecordingStatus.RECORDING,
    )
    assert first.file_path == "2026/11/26/call7-emergency-1.wav"
    assert (first.source, first.source_id, first.account_masked) == (
        Source.BRIDGE,
        "br-1",
        "****3456",
    )
    assert first.retention_until == datetime(2046, 11, 25, 17, 0, tzinfo=UTC)
    assert (first.sha256, first.size_bytes, first.duration_ms, first.legal_hold) == (None,) * 3 + (
        False,
    )
    second = await index.open_recording("call7", "emergency")
    assert second.name == "call7-emergency-2"
    assert (await index.open_recording("call7", "complaint")).name == "call7-complaint-1"


async def test_unknown_purpose_is_refused(index: RecordingIndex) -> None:
    with pytest.raises(UnknownPurpose):
        await index.open_recording("call7", "gossip")
    assert await index.search() == []


async def test_seal_moves_hashes_and_is_idempotent(index: RecordingIndex, spool: Path) -> None:
    rec = await index.open_recording("c1", "emergency")
    spooled = write_wav(spool / f"{rec.name}.wav", 3.0)
    content = spooled.read_bytes()
    sealed = await index.seal(rec.name, spooled)
    stored = index.path_of(sealed)
    assert stored == index.storage.root / "2026/11/25/c1-emergency-1.wav"
    assert not spooled.exists()
    assert stored.read_bytes() == content
    assert stored.stat().st_mode & stat.S_IWUSR == 0  # read-only once sealed
    assert sealed.status is RecordingStatus.SEALED
    assert sealed.sha256 == hashlib.sha256(content).hexdigest()
    assert (sealed.size_bytes, sealed.duration_ms, sealed.sealed_at) == (len(content), 3000, T0)
    # Asterisk writes the name again (a retry): the seal keeps its hash and the new file stays.
    again = write_wav(spool / f"{rec.name}.wav", 1.0, level=9)
    assert await index.seal(rec.name, again) == sealed
    assert again.exists()


async def test_sealed_hash_and_audit_rows_cannot_be_changed_in_sql(
    index: RecordingIndex, engine: AsyncEngine, spool: Path
) -> None:
    rec = await index.open_recording("c1", "emergency")
    sealed = await index.seal(rec.name, write_wav(spool / f"{rec.name}.wav", 1.0))
    await index.set_legal_hold(sealed.id, True, "dispute 2026-17", "alice")
    for statement in (
        "UPDATE recordings SET sha256 = 'forged' WHERE id = 1",
        "DELETE FROM recordings WHERE id = 1",
        "UPDATE recording_audit SET actor = 'mallory'",
        "DELETE FROM recording_audit",
    ):
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    assert (await index.get(sealed.id)).sha256 == sealed.sha256
    assert [e.actor for e in await index.audit_log()] == ["alice"]


async def test_verify_confirms_then_reports_one_tampered_byte(
    index: RecordingIndex, spool: Path
) -> None:
    recs = [await index.open_recording(f"c{n}", "emergency") for n in (1, 2)]
    sealed = [await index.seal(r.name, write_wav(spool / f"{r.name}.wav", 2.0)) for r in recs]
    assert await index.verify() == []
    victim = index.path_of(sealed[1])
    victim.chmod(0o644)
    data = bytearray(victim.read_bytes())
    data[100] ^= 0x01
    victim.write_bytes(bytes(data))
    problems = await index.verify()
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert [p.line() for p in problems] == [
        f"MISMATCH 2 {victim}: sha256 {actual} != sealed {sealed[1].sha256}"
    ]
    victim.unlink()
    assert [p.line() for p in await index.verify()] == [
        f"MISSING 2 {victim}: file not found (sealed {sealed[1].sha256})"
    ]


async def _sealed(
    index: RecordingIndex, spool: Path, call_id: str, purpose: str, started: datetime
):
    rec = await index.open_recording(call_id, purpose, started_at=started)
    return await index.seal(rec.name, write_wav(spool / f"{rec.name}.wav", 1.0))


async def test_purge_dry_run_lists_only_expired_unheld_and_touches_nothing(
    index: RecordingIndex, spool: Path, clock: FakeClock
) -> None:
    old = T0 - timedelta(days=6 * 366)
    expired = await _sealed(index, spool, "c1", "complaint", old)
    held = await _sealed(index, spool, "c2", "complaint", old)
    young = await _sealed(index, spool, "c3", "complaint", T0)
    order = await _sealed(index, spool, "c4", "emergency", old)
    await index.set_legal_hold(held.id, True, "regulator inquiry 12386-55", "carol")
    before = {r.id: r for r in await index.search()}
    files = {p: p.read_bytes() for p in index.storage.root.rglob("*.wav")}

    assert [r.id for r in await index.purge(dry_run=True)] == [expired.id]
    assert {r.id: r for r in await index.search()} == before
    assert {p: p.read_bytes() for p in index.storage.root.rglob("*.wav")} == files
    assert [e.action for e in await index.audit_log()] == [AuditAction.HOLD]
    # 20 years later the emergency call is due too; the held one still never is.
    later = T0 + timedelta(days=20 * 366)
    assert [r.id for r in await index.purge(dry_run=True, now=later)] == [
        expired.id, young.id, order.id,
    ]  # fmt: skip


async def test_real_purge_deletes_file_keeps_row_and_audits(
    index: RecordingIndex, spool: Path, clock: FakeClock
) -> None:
    old = T0 - timedelta(days=6 * 366)
    expired = await _sealed(index, spool, "c1", "complaint", old)
    held = await _sealed(index, spool, "c2", "complaint", old)
    await index.set_legal_hold(held.id, True, "court order", "carol")
    clock.at = T0 + timedelta(hours=1)
    purged = await index.purge(dry_run=False, who="ops", reason="retention 2026-Q4")
    assert [(r.id, r.status, r.purged_at) for r in purged] == [
        (expired.id, RecordingStatus.PURGED, clock.at)
    ]
    assert not index.path_of(expired).exists()
    assert index.path_of(held).exists()
    assert (await index.get(expired.id)).sha256 == expired.sha256  # the row keeps its evidence
    log = await index.audit_log(expired.id)
    assert [(e.actor, e.action, e.reason, e.at) for e in log] == [
        ("ops", AuditAction.PURGE, "retention 2026-Q4", clock.at)
    ]
    # Releasing the hold makes it purgeable; the release itself is audited.
    await index.set_legal_hold(held.id, False, "case closed", "carol")
    assert [r.id for r in await index.purge(dry_run=True)] == [held.id]
    assert [e.action for e in await index.audit_log(held.id)] == [
        AuditAction.HOLD, AuditAction.RELEASE,
    ]  # fmt: skip


async def test_orphans_both_ways(index: RecordingIndex, spool: Path, clock: FakeClock) -> None:
    kept = await _sealed(index, spool, "c1", "emergency", T0)
    lost = await _sealed(index, spool, "c2", "emergency", T0)
    stale = await index.open_recording("c3", "emergency", started_at=T0 - timedelta(hours=7))
    await index.open_recording("c4", "emergency")  # still recording: not an orphan
    index.path_of(lost).unlink()
    stray = write_wav(index.storage.root / "2026/11/24/nobody-emergency-1.wav", 1.0)
    (index.storage.root / "notes.txt").write_text("not a recording")
    found = await index.orphans()
    assert found.files_without_row == (stray,)
    assert [r.id for r in found.rows_without_file] == [lost.id, stale.id]
    assert index.path_of(kept).exists()


async def test_pick_up_seals_finished_spool_files(
    index: RecordingIndex, spool: Path, clock: FakeClock
) -> None:
    done = await index.open_recording("c1", "emergency")
    busy = await index.open_recording("c2", "emergency")
    clock.at = datetime.now(UTC)
    write_wav(spool / f"{done.name}.wav", 2.0, mtime=clock.at - timedelta(seconds=30))
    write_wav(spool / f"{busy.name}.wav", 2.0, mtime=clock.at - timedelta(seconds=1))
    foreign = write_wav(spool / "voicemail-1.wav", 1.0, mtime=clock.at - timedelta(minutes=5))
    result = await index.pick_up(spool)
    assert [(r.name, r.status, r.duration_ms) for r in result.sealed] == [
        (done.name, RecordingStatus.SEALED, 2000)
    ]
    assert result.too_fresh == (spool / f"{busy.name}.wav",)
    assert result.unknown == (foreign,)
    assert index.path_of(result.sealed[0]).is_file()
    clock.at += timedelta(seconds=10)
    assert [r.name for r in (await index.pick_up(spool)).sealed] == [busy.name]


async def test_access_writes_the_audit_row_before_handing_out_the_file(
    index: RecordingIndex, spool: Path, clock: FakeClock
) -> None:
    rec = await _sealed(index, spool, "c1", "emergency", T0)
    clock.at = T0 + timedelta(minutes=5)
    row, path = await index.access(rec.id, who="dora", reason="client dispute #88")
    assert (row.id, path) == (rec.id, index.path_of(rec))
    log = await index.audit_log(rec.id)
    assert [(e.actor, e.action, e.recording_id, e.reason, e.at) for e in log] == [
        ("dora", AuditAction.DOWNLOAD, rec.id, "client dispute #88", clock.at)
    ]
    with pytest.raises(AuditReasonMissing) as caught:
        await index.access(rec.id, who="dora", reason="  ")
    assert (
        str(caught.value)
        == "a reason is required to download a recording (it goes to the audit log)"
    )
    open_row = await index.open_recording("c2", "emergency")
    with pytest.raises(RecordingUnavailable) as unavailable:
        await index.access(open_row.id, who="dora", reason="check", action=AuditAction.LISTEN)
    assert str(unavailable.value) == f"recording {open_row.id} is not available: it is recording"
    assert len(await index.audit_log()) == 1


def _names(rows: list[Recording]) -> list[str]:
    return [r.name for r in rows]


async def test_search_filters(index: RecordingIndex) -> None:
    await index.open_recording("c1", "emergency", started_at=T0)
    await index.open_recording("c1", "complaint", started_at=T0 + timedelta(hours=1))
    await index.open_recording("c2", "emergency", started_at=T0 + timedelta(hours=2))
    assert _names(await index.search()) == ["c2-emergency-1", "c1-complaint-1", "c1-emergency-1"]
    assert _names(await index.search(call_id="c1", purpose="emergency")) == ["c1-emergency-1"]
    window = await index.search(
        started_from=T0 + timedelta(hours=1), started_to=T0 + timedelta(hours=2)
    )
    assert _names(window) == ["c1-complaint-1"]


async def test_a_non_wav_file_is_refused_and_left_in_place(
    index: RecordingIndex, spool: Path
) -> None:
    rec = await index.open_recording("c1", "emergency")
    junk = spool / f"{rec.name}.wav"
    junk.write_bytes(b"<html>500 Internal Server Error</html>")
    with pytest.raises(BadWav) as caught:
        await index.seal(rec.name, junk)
    assert str(caught.value) == f"{junk}: not a usable WAV recording: no RIFF/WAVE header"
    assert junk.exists()
    assert (await index.get(rec.id)).status is RecordingStatus.RECORDING
