"""`ReportStore`: the reads behind the reports: queue trace facts of the call records, and a
caller's earlier contacts (calls, their dispositions and follow-up items).

Rules:
- Read only, one short transaction per method; SQLite and PostgreSQL alike.
- `queue_facts` reads the `enqueue`, `queue` and `end` trace entries of the calls that went
  to a queue and started in [since, until): the pairing and counting is pure
  (`ivr.queue.intervals`). Callers widen `since` by the longest a call may spend before its
  queue (`ENQUEUE_LOOKBACK`).
- `earlier_contacts` never returns account numbers in clear: only the follow-ups'
  `account_masked` (`****5678`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from ivr.store.followups_model import FollowupRow
from ivr.store.models import CallRow, TraceRow
from ivr.store.users_model import DispositionRow

ENQUEUE_LOOKBACK = timedelta(hours=6)  # a call reaches its queue within this of its start
QUEUE_KINDS = ("enqueue", "queue", "end")


@dataclass(frozen=True, slots=True)
class QueueFact:
    """A trace entry of a queued call (fits `ivr.queue.intervals.TraceFact`)."""

    call_id: str
    seq: int
    at: datetime
    kind: str
    queue: str | None
    outcome: str | None
    call_ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class ContactDisposition:
    agent_id: str
    disposition: str
    notes: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ContactFollowup:
    id: int
    kind: str
    status: str
    reference: str | None
    due_at: datetime
    outcome: str | None


@dataclass(frozen=True, slots=True)
class Contact:
    """One earlier call of a caller."""

    call_id: str  # the call row id
    channel_id: str  # the id agents and dispositions know the call by
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    queue: str | None
    flow: str
    account_masked: str | None
    dispositions: tuple[ContactDisposition, ...]
    followups: tuple[ContactFollowup, ...]


def _text(detail: dict[str, Any], key: str) -> str | None:
    value = detail.get(key)
    return None if value in (None, "") else str(value)


class ReportStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def queue_facts(self, since: datetime, until: datetime) -> list[QueueFact]:
        """The queue trace entries of the queued calls started in [since, until)."""
        query = (
            select(
                TraceRow.call_id,
                TraceRow.seq,
                TraceRow.at,
                TraceRow.kind,
                TraceRow.detail,
                CallRow.ended_at,
            )
            .join(CallRow, CallRow.id == TraceRow.call_id)
            .where(
                CallRow.started_at >= since,
                CallRow.started_at < until,
                CallRow.queue.is_not(None),
                TraceRow.kind.in_(QUEUE_KINDS),
            )
            .order_by(TraceRow.call_id, TraceRow.seq)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            QueueFact(cid, seq, at, kind, _text(detail, "queue"), _text(detail, "outcome"), end)
            for cid, seq, at, kind, detail, end in rows
        ]

    async def earlier_contacts(
        self, caller: str, before: datetime, *, exclude: str | None = None, limit: int = 5
    ) -> list[Contact]:
        """The newest `limit` calls of `caller` started before `before` (not call row
        `exclude`), newest first, each with its dispositions and follow-up items."""
        query = (
            select(CallRow)
            .where(CallRow.caller == caller, CallRow.started_at < before)
            .order_by(CallRow.started_at.desc(), CallRow.id)
            .limit(limit + 1)
        )
        async with self._sessions() as session:
            calls = [c for c in (await session.scalars(query)).all() if c.id != exclude][:limit]
            channels = [c.channel_id for c in calls]
            disps = (
                await session.scalars(
                    select(DispositionRow)
                    .where(DispositionRow.call_id.in_(channels))
                    .order_by(DispositionRow.at, DispositionRow.id)
                )
            ).all()
            items = (
                await session.scalars(
                    select(FollowupRow)
                    .where(FollowupRow.call_id.in_([c.id for c in calls]))
                    .order_by(FollowupRow.id)
                )
            ).all()
        return [
            Contact(
                call_id=c.id,
                channel_id=c.channel_id,
                started_at=c.started_at,
                ended_at=c.ended_at,
                outcome=c.outcome,
                queue=c.queue,
                flow=c.flow,
                account_masked=next(
                    (f.account_masked for f in items if f.call_id == c.id and f.account_masked),
                    None,
                ),
                dispositions=tuple(
                    ContactDisposition(d.agent_id, d.disposition, d.notes, d.at)
                    for d in disps
                    if d.call_id == c.channel_id
                ),
                followups=tuple(
                    ContactFollowup(f.id, f.kind, f.status, f.reference, f.due_at, f.outcome)
                    for f in items
                    if f.call_id == c.id
                ),
            )
            for c in calls
        ]
