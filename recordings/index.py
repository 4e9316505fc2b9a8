"""`RecordingIndex`: the SQL index of call recordings, their sealing, audit, verify and purge.

Lifecycle: `open_recording` (row `recording`, name for ARI) -> Asterisk writes
`<spool>/recording/<name>.wav` -> `seal(name, path)` moves it into `YYYY/MM/DD/`, hashes it and
fixes sha256, size and duration (row `sealed`) -> years later `purge` deletes the file and marks
the row `purged` (the row stays).

Rules:
- A sealed row never changes its hash: `seal` is idempotent (a second call returns the row as
  it is) and the database refuses any change of a sealed sha256 (migration trigger).
- Every listen, download, hold, release and purge writes an audit row (who, when, which, why)
  *before* the action takes effect; the audit table is append-only.
- Purge never touches a recording under legal hold or inside its retention period; a dry run
  touches nothing (no file, no row).
- File work (hashing, moving) runs in a thread (`asyncio.to_thread`); seals are serialised by
  one lock, so the spool sweep and the `RecordingFinished` handler cannot seal a name twice.
- Times are aware UTC; `now` is injectable for tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from recordings import naming
from recordings.config import RecordingsConfig
from recordings.coverage import CallCoverage, coverage_of
from recordings.errors import (
    AuditReasonMissing,
    RecordingNotFound,
    RecordingsError,
    RecordingUnavailable,
)
from recordings.models import AuditRecord, RecordingRecord
from recordings.naming import RecordingStatus, Source
from recordings.retention import PurgeVerdict, purge_verdict
from recordings.storage import RecordingStorage, sha256_file, wav_info
from recordings.values import (
    AuditAction,
    AuditEntry,
    EmptyRecording,
    Orphans,
    PickUpResult,
    Problem,
    Recording,
    ShortCoverage,
    VerifyProblem,
    audit_entry_of,
    part_of,
    recording_of,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _required(text: str, action: str) -> str:
    if not text or not text.strip():
        raise AuditReasonMissing(action)
    return text.strip()


def _actor(who: str) -> str:
    if not who or not who.strip():
        raise RecordingsError("the audit log needs to know who acts on a recording (empty user)")
    return who.strip()[:64]


class RecordingIndex:
    """The recording index over an async SQLAlchemy engine and a storage root."""

    def __init__(
        self,
        engine: AsyncEngine,
        storage_root: Path,
        config: RecordingsConfig | None = None,
        *,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.storage = RecordingStorage(storage_root)
        self.config = config or RecordingsConfig()
        self.policy = self.config.policy
        self._now = now
        self._seal_lock = asyncio.Lock()

    def path_of(self, recording: Recording) -> Path:
        """Absolute path of a recording's file (whether or not it exists)."""
        return self.storage.path_of(recording.file_path)

    # ------------------------------------------------------------------ open and seal

    async def open_recording(
        self,
        call_id: str,
        purpose: str,
        *,
        source: Source | str = Source.CHANNEL,
        source_id: str | None = None,
        account: str | None = None,
        started_at: datetime | None = None,
        covers_from: datetime | None = None,
        number: int | None = None,
    ) -> Recording:
        """Index a recording about to start; pass the returned `.name` to ARI `record`.

        `account` may be the full number: only its masked form is stored. `covers_from`: the
        call recording of a call must cover it from that moment (its end comes with
        `close_span`); every part of the call carries the same start. `number`: claim that part
        number (the caller already started ARI on `recording_name(call_id, purpose, number)`);
        taken already: `RecordingsError`.
        """
        naming.check_call_id(call_id)
        started = started_at or self._now()
        values: dict[str, Any] = {
            "call_id": call_id, "purpose": purpose, "source": Source(source).value,
            "source_id": source_id, "account_masked": naming.mask_account(account),
            "started_at": started, "status": RecordingStatus.RECORDING.value,
            "retention_until": self.policy.retention_until(purpose, started),  # UnknownPurpose
            "legal_hold": False, "covers_from": covers_from,
        }  # fmt: skip
        day = self.policy.local_day(started)
        for _attempt in range(1 if number is not None else 3):
            n = number if number is not None else await self._next_number(call_id, purpose)
            name = naming.recording_name(call_id, purpose, n)
            relpath = str(naming.storage_relpath(name, day))
            try:
                async with self._sessions.begin() as session:
                    statement = insert(RecordingRecord).values(name=name, file_path=relpath)
                    await session.execute(statement.values(**values))
            except IntegrityError:
                continue  # another task took this number: count again
            return await self.by_name(name)
        raise RecordingsError(f"could not allocate a recording name for call {call_id!r}")

    async def _next_number(self, call_id: str, purpose: str) -> int:
        query = select(func.count()).where(
            RecordingRecord.call_id == call_id, RecordingRecord.purpose == purpose
        )
        async with self._sessions() as session:
            return int((await session.execute(query)).scalar_one()) + 1

    async def seal(self, name: str, path: Path | None = None) -> Recording:
        """Move the finished file at `path` into the layout and fix its sha256, size, duration.

        `path` None: the file is already at its layout path. Idempotent: a sealed row is
        returned unchanged and nothing on disk is touched.
        """
        async with self._seal_lock:
            current = await self.by_name(name)
            if current.status is not RecordingStatus.RECORDING:
                return current
            source = path if path is not None else self.path_of(current)
            if not source.is_file():
                raise RecordingUnavailable(current.id, f"no file to seal at {source}")
            facts = await asyncio.to_thread(self._place_and_hash, source, current.file_path)
            return await self._mark_sealed(current, *facts)

    def _place_and_hash(self, source: Path, relpath: str) -> tuple[str, int, int]:
        info = wav_info(source)  # refuse a non-WAV before moving anything
        target = self.storage.place(source, relpath)
        digest, size = sha256_file(target)
        self.storage.make_read_only(relpath)
        return digest, size, info.duration_ms

    async def _mark_sealed(
        self, current: Recording, digest: str, size: int, duration_ms: int
    ) -> Recording:
        statement = (
            update(RecordingRecord)
            .where(RecordingRecord.id == current.id, RecordingRecord.sha256.is_(None))
            .values(
                sha256=digest, size_bytes=size, duration_ms=duration_ms, sealed_at=self._now(),
                status=RecordingStatus.SEALED.value,
            )
        )  # fmt: skip
        async with self._sessions.begin() as session:
            await session.execute(statement)
        return await self.get(current.id)

    async def close_span(self, call_id: str, purpose: str, ended_at: datetime) -> int:
        """The call ended at `ended_at`: every part of its `purpose` recording that has a span
        start gets that end (once; a closed span is not moved). The number of rows closed."""
        statement = (
            update(RecordingRecord)
            .where(
                RecordingRecord.call_id == call_id,
                RecordingRecord.purpose == purpose,
                RecordingRecord.covers_from.is_not(None),
                RecordingRecord.covers_to.is_(None),
            )
            .values(covers_to=ended_at)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def pick_up(self, spool_dir: Path) -> PickUpResult:
        """Seal every finished `<name>.wav` in Asterisk's `spool_dir` that an open row names."""
        sealed: list[Recording] = []
        unknown: list[Path] = []
        fresh: list[Path] = []
        settle_before = self._now().timestamp() - self.config.pick_up_settle_s
        files = await asyncio.to_thread(lambda: sorted(spool_dir.glob("*.wav")))
        for path in files:
            row = await self._find_name(path.stem)
            if row is None or row.status is not RecordingStatus.RECORDING:
                unknown.append(path)
            elif path.stat().st_mtime > settle_before:
                fresh.append(path)
            else:
                sealed.append(await self.seal(row.name, path))
        return PickUpResult(tuple(sealed), tuple(unknown), tuple(fresh))

    # ------------------------------------------------------------------ reading

    async def _find_name(self, name: str) -> Recording | None:
        async with self._sessions() as session:
            query = select(RecordingRecord).where(RecordingRecord.name == name)
            row = (await session.execute(query)).scalar_one_or_none()
        return None if row is None else recording_of(row)

    async def by_name(self, name: str) -> Recording:
        found = await self._find_name(name)
        if found is None:
            raise RecordingNotFound(name)
        return found

    async def get(self, recording_id: int) -> Recording:
        async with self._sessions() as session:
            row = await session.get(RecordingRecord, recording_id)
        if row is None:
            raise RecordingNotFound(recording_id)
        return recording_of(row)

    async def search(
        self,
        *,
        call_id: str | None = None,
        purpose: str | None = None,
        started_from: datetime | None = None,
        started_to: datetime | None = None,
        limit: int = 100,
    ) -> list[Recording]:
        """Newest first; `started_from` inclusive, `started_to` exclusive."""
        query = select(RecordingRecord).order_by(
            RecordingRecord.started_at.desc(), RecordingRecord.id.desc()
        )
        if call_id is not None:
            query = query.where(RecordingRecord.call_id == call_id)
        if purpose is not None:
            query = query.where(RecordingRecord.purpose == purpose)
        if started_from is not None:
            query = query.where(RecordingRecord.started_at >= started_from)
        if started_to is not None:
            query = query.where(RecordingRecord.started_at < started_to)
        async with self._sessions() as session:
            rows = (await session.execute(query.limit(limit))).scalars().all()
        return [recording_of(row) for row in rows]

    async def _all(self, *statuses: RecordingStatus) -> list[Recording]:
        query = select(RecordingRecord).order_by(RecordingRecord.id)
        if statuses:
            query = query.where(RecordingRecord.status.in_([s.value for s in statuses]))
        async with self._sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        return [recording_of(row) for row in rows]

    async def count(self, status: RecordingStatus | None = None) -> int:
        query = select(func.count()).select_from(RecordingRecord)
        if status is not None:
            query = query.where(RecordingRecord.status == status.value)
        async with self._sessions() as session:
            return int((await session.execute(query)).scalar_one())

    async def audit_log(self, recording_id: int | None = None) -> list[AuditEntry]:
        query = select(AuditRecord).order_by(AuditRecord.id)
        if recording_id is not None:
            query = query.where(AuditRecord.recording_id == recording_id)
        async with self._sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        return [audit_entry_of(row) for row in rows]

    # ------------------------------------------------------------------ checks

    async def verify(self) -> list[Problem]:
        """Re-hash every sealed file and judge what it holds: one problem per mismatch or
        missing file (`MISMATCH`, `MISSING`), per file without audio (`EMPTY`) and per call its
        recordings do not cover (`SHORT`, see `recordings.coverage`), by id."""
        problems: list[Problem] = []
        sealed = await self._all(RecordingStatus.SEALED)
        empty: set[int] = set()
        for recording in sealed:
            assert recording.sha256 is not None
            path = self.path_of(recording)
            actual = await asyncio.to_thread(_hash_or_none, path)
            if actual != recording.sha256:
                problems.append(VerifyProblem(recording.id, path, recording.sha256, actual))
            elif not recording.duration_ms:
                empty.add(recording.id)
                problems.append(EmptyRecording(recording.id, path, recording.size_bytes))
        for call in coverage_of(part_of(r) for r in sealed):
            if call.is_short() and not empty.issuperset(call.recording_ids):
                problems.append(ShortCoverage(call))
        return problems

    async def coverage(self, since: datetime | None = None) -> list[CallCoverage]:
        """Every call (and purpose) with a closed span whose call started at or after
        `since`, oldest first; the caller filters by `is_short()`."""
        query = select(RecordingRecord).where(
            RecordingRecord.covers_from.is_not(None),
            RecordingRecord.status != RecordingStatus.RECORDING.value,
        )
        if since is not None:
            query = query.where(RecordingRecord.covers_from >= since)
        async with self._sessions() as session:
            rows = (await session.execute(query)).scalars().all()
        return coverage_of(part_of(recording_of(row)) for row in rows)

    async def orphans(self) -> Orphans:
        """Files in the layout without a live row, and rows whose file is missing."""
        rows = await self._all()
        live = {r.file_path for r in rows if r.status is not RecordingStatus.PURGED}
        files = await asyncio.to_thread(lambda: list(self.storage.stored_files()))
        stray = tuple(self.storage.path_of(f) for f in files if str(f) not in live)
        stale_before = self._now() - timedelta(seconds=self.config.stale_open_s)
        missing = tuple(r for r in rows if self._lacks_file(r, stale_before))
        return Orphans(stray, missing)

    def _lacks_file(self, recording: Recording, stale_before: datetime) -> bool:
        if recording.status is RecordingStatus.SEALED:
            return not self.storage.exists(recording.file_path)
        if recording.status is RecordingStatus.RECORDING:
            return recording.started_at < stale_before
        return False

    # ------------------------------------------------------------------ access and holds

    async def access(
        self,
        recording_id: int,
        *,
        who: str,
        reason: str,
        action: AuditAction = AuditAction.DOWNLOAD,
    ) -> tuple[Recording, Path]:
        """Audit a listen/download, then hand back the file to stream. Audit row first."""
        why = _required(reason, str(action))
        actor = _actor(who)
        recording = await self.get(recording_id)
        if recording.status is not RecordingStatus.SEALED:
            raise RecordingUnavailable(recording.id, f"it is {recording.status.value}")
        path = self.path_of(recording)
        if not path.is_file():
            raise RecordingUnavailable(
                recording.id, "its file is missing (run `ivr recordings verify`)"
            )
        await self._audit(recording.id, actor, action, why)
        return recording, path

    async def set_legal_hold(self, recording_id: int, on: bool, reason: str, who: str) -> Recording:
        """Put a recording under legal hold (never purged) or release it; audited."""
        action = AuditAction.HOLD if on else AuditAction.RELEASE
        why, actor = _required(reason, str(action)), _actor(who)
        await self.get(recording_id)
        async with self._sessions.begin() as session:
            session.add(self._audit_row(recording_id, actor, action, why))
            await session.flush()
            values: dict[str, Any] = {"legal_hold": on, "hold_reason": why if on else None}
            await session.execute(
                update(RecordingRecord).where(RecordingRecord.id == recording_id).values(**values)
            )
        return await self.get(recording_id)

    def _audit_row(self, recording_id: int, who: str, action: AuditAction, why: str) -> AuditRecord:
        return AuditRecord(
            at=self._now(), actor=who, action=action.value, recording_id=recording_id, reason=why
        )

    async def _audit(self, recording_id: int, who: str, action: AuditAction, why: str) -> None:
        async with self._sessions.begin() as session:
            session.add(self._audit_row(recording_id, who, action, why))

    # ------------------------------------------------------------------ retention

    async def purge(
        self,
        *,
        dry_run: bool = True,
        now: datetime | None = None,
        who: str = "retention",
        reason: str = "retention period over",
    ) -> list[Recording]:
        """Recordings whose retention is over and that are not held; deleted unless `dry_run`.

        A real purge audits each recording, deletes its file and marks the row `purged`.
        """
        at = now or self._now()
        due = [
            r
            for r in await self._all(RecordingStatus.SEALED)
            if _verdict(r, at) is PurgeVerdict.PURGE
        ]
        if dry_run:
            return due
        actor, why = _actor(who), _required(reason, "purge")
        return [await self._purge_one(r, actor, why, at) for r in due]

    async def _purge_one(self, recording: Recording, who: str, why: str, at: datetime) -> Recording:
        await self._audit(recording.id, who, AuditAction.PURGE, why)
        await asyncio.to_thread(self.storage.remove, recording.file_path)
        statement = (
            update(RecordingRecord)
            .where(RecordingRecord.id == recording.id)
            .values(status=RecordingStatus.PURGED.value, purged_at=at)
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)
        return await self.get(recording.id)


def _verdict(recording: Recording, now: datetime) -> PurgeVerdict:
    return purge_verdict(
        sealed=recording.status is RecordingStatus.SEALED,
        purged=recording.status is RecordingStatus.PURGED,
        legal_hold=recording.legal_hold,
        retention_until=recording.retention_until,
        now=now,
    )


def _hash_or_none(path: Path) -> str | None:
    try:
        return sha256_file(path)[0]
    except FileNotFoundError:
        return None
