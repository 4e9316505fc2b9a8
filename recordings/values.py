"""What the recording index answers with: frozen values read from its rows.

Role: `Recording` (one indexed recording, `as_json()` for the CLI and API), `AuditEntry` and
`AuditAction`, `VerifyProblem` (a sealed file that no longer matches its seal), `EmptyRecording`
and `ShortCoverage` (a file without audio, a call its recordings do not cover), `Orphans` and
`PickUpResult`; `recording_of`/`audit_entry_of` convert SQL rows (`recordings.models`).

Rules: plain frozen dataclasses, no I/O; times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from recordings.coverage import CallCoverage, Part, empty_line
from recordings.models import AuditRecord, RecordingRecord
from recordings.naming import RecordingId, RecordingStatus, Source


class AuditAction(StrEnum):
    LISTEN = "listen"
    DOWNLOAD = "download"
    HOLD = "hold"
    RELEASE = "release"
    PURGE = "purge"


@dataclass(frozen=True, slots=True)
class Recording:
    """A row of the index."""

    id: RecordingId
    name: str
    call_id: str
    purpose: str
    source: Source
    source_id: str | None
    account_masked: str | None
    started_at: datetime
    status: RecordingStatus
    file_path: str  # relative to the storage root: YYYY/MM/DD/<name>.wav
    size_bytes: int | None
    duration_ms: int | None
    sha256: str | None
    sealed_at: datetime | None
    retention_until: datetime
    legal_hold: bool
    hold_reason: str | None
    purged_at: datetime | None
    covers_from: datetime | None  # the span of the call this recording had to cover
    covers_to: datetime | None

    @property
    def duration_s(self) -> float | None:
        return None if self.duration_ms is None else self.duration_ms / 1000

    def as_json(self) -> dict[str, Any]:
        """JSON-ready fields (ISO times, enum values) plus `duration_s`; for the CLI and API."""
        doc: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, StrEnum):
                value = value.value
            doc[name] = value
        doc["duration_s"] = self.duration_s
        return doc


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: AuditAction
    recording_id: RecordingId
    reason: str


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """A sealed recording whose file no longer matches its seal."""

    recording_id: RecordingId
    path: Path
    sealed_sha256: str
    actual_sha256: str | None  # None: the file is missing

    def line(self) -> str:
        if self.actual_sha256 is None:
            return (
                f"MISSING {self.recording_id} {self.path}: file not found"
                f" (sealed {self.sealed_sha256})"
            )
        return (
            f"MISMATCH {self.recording_id} {self.path}: sha256 {self.actual_sha256}"
            f" != sealed {self.sealed_sha256}"
        )


@dataclass(frozen=True, slots=True)
class EmptyRecording:
    """A sealed recording whose file holds no audio (a WAV header alone)."""

    recording_id: RecordingId
    path: Path
    size_bytes: int | None

    def line(self) -> str:
        return empty_line(self.recording_id, self.path, self.size_bytes)


@dataclass(frozen=True, slots=True)
class ShortCoverage:
    """A call whose recordings hold less of it than they must (see `recordings.coverage`)."""

    coverage: CallCoverage

    def line(self) -> str:
        return self.coverage.short_line()


Problem = VerifyProblem | EmptyRecording | ShortCoverage


@dataclass(frozen=True, slots=True)
class Orphans:
    files_without_row: tuple[Path, ...]  # in the layout, but no live (unpurged) row names them
    rows_without_file: tuple[Recording, ...]  # sealed but missing, or open for too long


@dataclass(frozen=True, slots=True)
class PickUpResult:
    sealed: tuple[Recording, ...]
    unknown: tuple[Path, ...]  # spool files no open row names (left in place)
    too_fresh: tuple[Path, ...]  # modified within the settle time (left for the next sweep)


def recording_of(row: RecordingRecord) -> Recording:
    return Recording(
        id=RecordingId(row.id), name=row.name, call_id=row.call_id, purpose=row.purpose,
        source=Source(row.source), source_id=row.source_id, account_masked=row.account_masked,
        started_at=row.started_at, status=RecordingStatus(row.status), file_path=row.file_path,
        size_bytes=row.size_bytes, duration_ms=row.duration_ms, sha256=row.sha256,
        sealed_at=row.sealed_at, retention_until=row.retention_until, legal_hold=row.legal_hold,
        hold_reason=row.hold_reason, purged_at=row.purged_at, covers_from=row.covers_from,
        covers_to=row.covers_to,
    )  # fmt: skip


def part_of(recording: Recording) -> Part:
    return Part(
        recording.id,
        recording.call_id,
        recording.purpose,
        recording.duration_ms or 0,
        recording.covers_from,
        recording.covers_to,
    )


def audit_entry_of(row: AuditRecord) -> AuditEntry:
    return AuditEntry(
        row.id, row.at, row.actor, AuditAction(row.action), RecordingId(row.recording_id),
        row.reason,
    )  # fmt: skip
