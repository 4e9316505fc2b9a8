"""SQL tables of the recording index, on their own `MetaData` (recordings never imports ivr).

Rules:
- `recordings`: one row per recording, kept forever (a purge deletes the file and marks the
  row `purged`). `sha256`, `size_bytes` and `duration_ms` are written once, when the recording
  is sealed; the migration adds a trigger that refuses to change a sealed hash and one that
  refuses to delete a row.
- `recording_audit`: append-only (triggers refuse UPDATE and DELETE): who did what to which
  recording, when and why (listen, download, hold, release, purge).
- Times are stored as naive UTC and read back aware (`UtcDateTime`).
- Migrations 0003 (tables) and 0005 (call span columns) must produce exactly these tables (a
  test compares them); change both together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """A DateTime stored as naive UTC and always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = metadata


class RecordingRecord(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    call_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # channel | bridge | snoop
    source_id: Mapped[str | None] = mapped_column(String(128))  # ARI channel or bridge id
    account_masked: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))  # recording | sealed | purged
    file_path: Mapped[str] = mapped_column(String(255))  # relative to the storage root
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retention_until: Mapped[datetime] = mapped_column(UtcDateTime())
    legal_hold: Mapped[bool] = mapped_column(Boolean, server_default=false())
    hold_reason: Mapped[str | None] = mapped_column(Text)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # the span of the call this recording (with its other parts) had to cover; see coverage.py
    covers_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    covers_to: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_recordings_call_id", "call_id"),
        Index("ix_recordings_started_at", "started_at"),
        Index("ix_recordings_retention_until", "retention_until"),
    )


class AuditRecord(Base):
    __tablename__ = "recording_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # listen|download|hold|release|purge
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_recording_audit_recording_id", "recording_id"),)
