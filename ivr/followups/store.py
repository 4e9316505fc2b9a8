"""`FollowupStore`: follow-up work items and their append-only history, in SQL.

Rules:
- Every change appends one `followup_events` row (who, when, what, why) in the same
  transaction as the change; history rows are never updated or deleted.
- Status moves go through `ivr.followups.status.advance` (an illegal move raises
  `IllegalTransition`, a `Conflict`), read and written in one transaction with the row locked
  (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite serialises writers).
- An unknown id raises `FollowupNotFound` (a `NotFound`). Times are aware UTC; `now` is
  injectable. Only masked account digits ever leave this module (`account_masked`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ivr.engine.masking import mask_account
from ivr.errors import Conflict, NotFound
from ivr.followups.status import ACTIVE, advance
from ivr.store.followups_model import FollowupEventRow, FollowupRow

SYSTEM = "system"


class FollowupNotFound(NotFound):
    code = "followup-not-found"


def mask_last4(account: str) -> str:
    """`12345678` -> `****5678`: how an account is shown on a follow-up (the one masking
    policy, `ivr.engine.masking.mask_account`)."""
    return mask_account(account)


@dataclass(frozen=True, slots=True)
class NewFollowup:
    kind: str
    priority: str
    reason: str
    caller: str
    due_at: datetime
    account_digest: str | None = None
    account_masked: str | None = None
    call_id: str | None = None
    recordings: tuple[str, ...] = ()
    order: dict[str, str] | None = None
    reference: str | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    status: str
    why: str

    def to_json(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "status": self.status, "why": self.why}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Followup:
    id: int
    kind: str
    status: str
    priority: str
    reason: str
    caller: str
    account_masked: str | None
    call_id: str | None
    recordings: tuple[str, ...]
    order: dict[str, str] | None
    reference: str | None
    queue: str | None
    created_at: datetime
    due_at: datetime
    claimed_by: str | None
    escalation: int
    outcome: str | None
    closed_at: datetime | None
    history: tuple[HistoryEntry, ...] = field(default=())

    def overdue(self, now: datetime) -> bool:
        return self.status in ACTIVE and self.due_at < now

    def to_json(self, now: datetime) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "status": self.status, "priority": self.priority,
            "reason": self.reason, "caller": self.caller, "account": self.account_masked,
            "call_id": self.call_id, "recordings": list(self.recordings), "order": self.order,
            "reference": self.reference, "queue": self.queue,
            "created_at": self.created_at.isoformat(), "due_at": self.due_at.isoformat(),
            "overdue": self.overdue(now), "claimed_by": self.claimed_by,
            "escalation": self.escalation, "outcome": self.outcome,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }  # fmt: skip
        if self.history:
            out["history"] = [h.to_json() for h in self.history]
        return out


def _item(row: FollowupRow, history: tuple[HistoryEntry, ...] = ()) -> Followup:
    return Followup(
        row.id, row.kind, row.status, row.priority, row.reason, row.caller, row.account_masked,
        row.call_id, tuple(row.recordings or ()), row.order_json, row.reference, row.queue,
        row.created_at, row.due_at, row.claimed_by, row.escalation, row.outcome, row.closed_at,
        history,
    )  # fmt: skip


def _entry(row: FollowupEventRow) -> HistoryEntry:
    return HistoryEntry(row.at, row.actor, row.action, row.status, row.why)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FollowupStore:
    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.now = now

    async def create(self, new: NewFollowup, *, why: str, actor: str = SYSTEM) -> Followup:
        now = self.now()
        row = FollowupRow(
            kind=new.kind, status="open", priority=new.priority, reason=new.reason,
            caller=new.caller, account_digest=new.account_digest,
            account_masked=new.account_masked, call_id=new.call_id,
            recordings=list(new.recordings), order_json=new.order, reference=new.reference,
            queue=new.queue, created_at=now, due_at=new.due_at, escalation=0,
        )  # fmt: skip
        async with self._sessions.begin() as db:
            db.add(row)
            await db.flush()
            db.add(self._event(row, now, actor, "created", why))
        return _item(row)

    async def get(self, item_id: int, *, with_history: bool = True) -> Followup:
        async with self._sessions() as db:
            row = await self._row(db, item_id)
            history: tuple[HistoryEntry, ...] = ()
            if with_history:
                query = (
                    select(FollowupEventRow)
                    .where(FollowupEventRow.followup_id == item_id)
                    .order_by(FollowupEventRow.id)
                )
                history = tuple(_entry(e) for e in (await db.scalars(query)).all())
        return _item(row, history)

    async def search(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        overdue: bool = False,
        call_id: str | None = None,
        limit: int = 200,
    ) -> list[Followup]:
        """Items, most urgent first (phone orders, then priority, then due time)."""
        query = select(FollowupRow)
        if kind is not None:
            query = query.where(FollowupRow.kind == kind)
        if status is not None:
            query = query.where(FollowupRow.status == status)
        if call_id is not None:
            query = query.where(FollowupRow.call_id == call_id)
        if overdue:
            query = query.where(
                FollowupRow.status.in_(sorted(ACTIVE)), FollowupRow.due_at < self.now()
            )
        query = query.order_by(FollowupRow.due_at, FollowupRow.id).limit(limit)
        async with self._sessions() as db:
            items = [_item(r) for r in (await db.scalars(query)).all()]
        rank = {"urgent": 0, "normal": 1, "low": 2}
        return sorted(items, key=lambda i: (i.kind != "phone_order", rank.get(i.priority, 3)))

    async def counts(self) -> dict[str, dict[str, int]]:
        """Per kind: `open` (not yet finished) and `overdue` items."""
        active = FollowupRow.status.in_(sorted(ACTIVE))
        late = func.sum(case((FollowupRow.due_at < self.now(), 1), else_=0))
        query = (
            select(FollowupRow.kind, func.count(), late).where(active).group_by(FollowupRow.kind)
        )
        async with self._sessions() as db:
            rows = (await db.execute(query)).all()
        return {kind: {"open": int(n), "overdue": int(o or 0)} for kind, n, o in rows}

    async def move(
        self,
        item_id: int,
        target: str,
        *,
        actor: str,
        action: str,
        why: str,
        claimed_by: str | bool | None = False,
        outcome: str | None = None,
        expect_claimed_by: str | None = None,
    ) -> Followup:
        """Advance the status (`advance` judges the move) and append the history row.
        `claimed_by`: False keeps it; a name or None sets it. `expect_claimed_by`: refuse
        (`NotClaimant`) unless the item is claimed by that user."""
        now = self.now()
        async with self._sessions.begin() as db:
            row = await self._row(db, item_id, lock=True)
            if expect_claimed_by is not None and row.claimed_by != expect_claimed_by:
                raise NotClaimant(item_id, row.claimed_by)
            row.status = advance(row.status, target)
            if claimed_by is not False:
                row.claimed_by = claimed_by if isinstance(claimed_by, str) else None
            if outcome is not None:
                row.outcome = outcome
            if row.status not in ACTIVE:
                row.closed_at = now
            db.add(self._event(row, now, actor, action, why))
        return _item(row)

    async def note(
        self,
        item_id: int,
        *,
        actor: str,
        action: str,
        why: str,
        escalation: int | None = None,
        recording: str | None = None,
        reference: str | None = None,
    ) -> Followup:
        """Append a history row without a status move (and set the given fields)."""
        now = self.now()
        async with self._sessions.begin() as db:
            row = await self._row(db, item_id, lock=True)
            if escalation is not None:
                row.escalation = escalation
            if recording is not None and recording not in (row.recordings or []):
                row.recordings = [*(row.recordings or []), recording]
            if reference is not None and row.reference is None:
                row.reference = reference
            db.add(self._event(row, now, actor, action, why))
        return _item(row)

    async def _row(self, db: AsyncSession, item_id: int, *, lock: bool = False) -> FollowupRow:
        query = select(FollowupRow).where(FollowupRow.id == item_id)
        row = await db.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise FollowupNotFound(f"no follow-up {item_id}", details={"id": item_id})
        return row

    @staticmethod
    def _event(
        row: FollowupRow, at: datetime, actor: str, action: str, why: str
    ) -> FollowupEventRow:
        return FollowupEventRow(
            followup_id=row.id, at=at, actor=actor, action=action, status=row.status, why=why
        )


class NotClaimant(Conflict):
    """Only the agent who claimed an item may work it (call, close)."""

    code = "not-claimant"

    def __init__(self, item_id: int, holder: str | None) -> None:
        who = f"claimed by '{holder}'" if holder else "not claimed"
        super().__init__(f"follow-up {item_id} is {who}: claim it first", details={"id": item_id})
