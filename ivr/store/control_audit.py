"""`ControlAuditStore`: every call-control and monitoring action, in SQL (`call_control_audit`).

Rules:
- Append-only, like `flow_audit` and `recording_audit`: migration 0009 adds triggers that refuse
  UPDATE and DELETE. One row per action: who (`actor`, the user name, and `role`), on which
  call (`call_key`, the queue's call key) and agent, what (`action`: hold, resume, transfer,
  monitor_start, monitor_stop), to what (`target`: a queue, an agent, a masked number, a
  monitoring mode) and a short `detail` (a monitoring session id, a stop reason).
- Times are aware UTC datetimes; `now` is injectable. Numbers are stored masked by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import Index

from ivr.store.base import Base, UtcDateTime

ACTIONS = frozenset({"hold", "resume", "transfer", "monitor_start", "monitor_stop"})


class ControlAuditRow(Base):
    __tablename__ = "call_control_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    call_key: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_call_control_audit_call_key", "call_key"),)


@dataclass(frozen=True, slots=True)
class ControlAudit:
    """One audited action (see the module docstring)."""

    at: datetime
    actor: str
    role: str
    action: str
    call_key: str
    agent_id: str | None
    target: str
    detail: str


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _entry(row: ControlAuditRow) -> ControlAudit:
    return ControlAudit(
        row.at, row.actor, row.role, row.action, row.call_key, row.agent_id, row.target, row.detail
    )


class ControlAuditStore:
    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    async def add(self, entry: ControlAudit) -> ControlAudit:
        if entry.action not in ACTIONS:
            raise ValueError(f"unknown call-control action {entry.action!r}")
        row = ControlAuditRow(
            at=entry.at,
            actor=entry.actor,
            role=entry.role,
            action=entry.action,
            call_key=entry.call_key,
            agent_id=entry.agent_id,
            target=entry.target,
            detail=entry.detail,
        )
        async with self._sessions.begin() as db:
            db.add(row)
        return _entry(row)

    def now(self) -> datetime:
        return self._now()

    async def for_call(self, call_key: str) -> list[ControlAudit]:
        """The actions on one call, oldest first."""
        query = (
            select(ControlAuditRow)
            .where(ControlAuditRow.call_key == call_key)
            .order_by(ControlAuditRow.id)
        )
        async with self._sessions() as db:
            return [_entry(r) for r in (await db.scalars(query)).all()]
