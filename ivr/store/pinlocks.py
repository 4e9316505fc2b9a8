"""`PinLockStore`: wrong PINs counted per account and per calling number, across calls, in SQL.

Rules (policy `PinPolicy`, from `security.*` settings, docs/security.md):
- Each wrong PIN is one `pin_failures` row (account by its stored key, the calling number).
- An account with `max_failures` failures within `window_s` is locked; a calling number that
  failed on `caller_max_accounts` different accounts within `window_s` is locked. Failures
  made before a subject's last lock do not count again after it ends.
- A lock ends after `lock_s` (0: never by itself) or when someone unlocks it (`unlock`,
  audited in `pin_audit` as `pin_unlock`, with who and why). Each lock is audited too.
- Only the stored account key and the masked account reach these tables; never a PIN.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ivr.errors import Conflict, NotFound
from ivr.settings.security import SecuritySettings
from ivr.store.pinlocks_model import PinAuditRow, PinFailureRow, PinLockRow

SCOPE_ACCOUNT, SCOPE_CALLER = "account", "caller"


@dataclass(frozen=True, slots=True)
class PinPolicy:
    max_failures: int = 10
    window_s: int = 24 * 3600
    caller_max_accounts: int = 5
    lock_s: int = 3600  # 0: until unlocked

    @classmethod
    def of(cls, s: SecuritySettings) -> PinPolicy:
        return cls(s.pin_max_failures, s.pin_window_s, s.pin_caller_max_accounts, s.pin_lock_s)


@dataclass(frozen=True, slots=True)
class PinLock:
    id: int
    scope: str  # account | caller
    label: str  # masked account, or the calling number
    failures: int
    locked_at: datetime
    expires_at: datetime | None
    unlocked_at: datetime | None
    unlocked_by: str | None

    def active(self, now: datetime) -> bool:
        expired = self.expires_at is not None and self.expires_at <= now
        return self.unlocked_at is None and not expired

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "scope": self.scope,
            "label": self.label,
            "failures": self.failures,
            "locked_at": iso(self.locked_at),
            "expires_at": iso(self.expires_at),
            "unlocked_at": iso(self.unlocked_at),
            "unlocked_by": self.unlocked_by,
        }


@dataclass(frozen=True, slots=True)
class PinAuditEntry:
    at: datetime
    action: str
    lock_id: int
    actor: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "action": self.action,
            "lock_id": self.lock_id,
            "actor": self.actor,
            "reason": self.reason,
        }


def _lock(row: PinLockRow) -> PinLock:
    return PinLock(
        row.id, row.scope, row.label, row.failures, row.locked_at,
        row.expires_at, row.unlocked_at, row.unlocked_by,
    )  # fmt: skip


def _active_clause(now: datetime) -> Any:
    return and_(
        PinLockRow.unlocked_at.is_(None),
        or_(PinLockRow.expires_at.is_(None), PinLockRow.expires_at > now),
    )


class PinLockStore:
    """Counts wrong PINs and keeps the locks (tables of migration 0008)."""

    def __init__(
        self,
        engine: AsyncEngine,
        policy: PinPolicy | None = None,
        now_s: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.policy = policy or PinPolicy()
        self._now_s = now_s  # epoch seconds (the app's clock)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._now_s(), UTC)

    async def active_lock(self, account_key: str, caller: str) -> PinLock | None:
        """The lock that refuses verification of `account_key` from `caller`, if any."""
        now = self.now()
        subjects = [and_(PinLockRow.scope == SCOPE_ACCOUNT, PinLockRow.subject == account_key)]
        if caller:
            subjects.append(and_(PinLockRow.scope == SCOPE_CALLER, PinLockRow.subject == caller))
        query = select(PinLockRow).where(or_(*subjects), _active_clause(now)).limit(1)
        async with self._sessions() as session:
            row = await session.scalar(query)
        return None if row is None else _lock(row)

    async def record_failure(
        self, *, account_key: str, account_label: str, caller: str, call_id: str
    ) -> list[PinLock]:
        """Count one wrong PIN; the locks it caused (none, the account's, the number's)."""
        now = self.now()
        policy, since = self.policy, now - timedelta(seconds=self.policy.window_s)
        new: list[PinLockRow] = []
        async with self._sessions() as session, session.begin():
            session.add(PinFailureRow(at=now, account_key=account_key, caller=caller,
                                      call_id=call_id))  # fmt: skip
            await session.flush()
            start = await self._count_from(session, SCOPE_ACCOUNT, account_key, since, now)
            if start is not None:
                count = await session.scalar(
                    select(func.count()).where(
                        PinFailureRow.account_key == account_key, PinFailureRow.at > start
                    )
                )
                if (count or 0) >= policy.max_failures:
                    new.append(self._new_lock(SCOPE_ACCOUNT, account_key, account_label,
                                              count or 0, now))  # fmt: skip
            start = await self._count_from(session, SCOPE_CALLER, caller, since, now)
            if caller and start is not None:
                accounts = await session.scalar(
                    select(func.count(func.distinct(PinFailureRow.account_key))).where(
                        PinFailureRow.caller == caller, PinFailureRow.at > start
                    )
                )
                if (accounts or 0) >= policy.caller_max_accounts:
                    new.append(self._new_lock(SCOPE_CALLER, caller, caller, accounts or 0, now))
            session.add_all(new)
            await session.flush()
            session.add_all(
                PinAuditRow(
                    at=now,
                    action="lock",
                    lock_id=row.id,
                    actor="ivr",
                    reason=f"{row.failures} failures",
                )
                for row in new
            )
        return [_lock(row) for row in new]

    def _new_lock(self, scope: str, subject: str, label: str, n: int, now: datetime) -> PinLockRow:
        lock_s = self.policy.lock_s
        expires = now + timedelta(seconds=lock_s) if lock_s else None
        return PinLockRow(scope=scope, subject=subject, label=label, failures=n, locked_at=now,
                          expires_at=expires)  # fmt: skip

    async def _count_from(
        self, session: AsyncSession, scope: str, subject: str, since: datetime, now: datetime
    ) -> datetime | None:
        """Where counting starts for a subject (after its last lock); None while it is locked."""
        last = await session.scalar(
            select(PinLockRow)
            .where(PinLockRow.scope == scope, PinLockRow.subject == subject)
            .order_by(PinLockRow.locked_at.desc(), PinLockRow.id.desc())
            .limit(1)
        )
        if last is None:
            return since
        if _lock(last).active(now):
            return None
        ended = last.unlocked_at or last.expires_at or now
        return max(since, ended)

    async def locks(self, *, active_only: bool = True) -> list[PinLock]:
        now = self.now()
        query = select(PinLockRow).order_by(PinLockRow.id.desc()).limit(500)
        if active_only:
            query = query.where(_active_clause(now))
        async with self._sessions() as session:
            return [_lock(row) for row in (await session.scalars(query)).all()]

    async def unlock(self, lock_id: int, *, by: str, reason: str) -> PinLock:
        """End an active lock now; audited as `pin_unlock` (who, why)."""
        now = self.now()
        async with self._sessions() as session, session.begin():
            row = await session.get(PinLockRow, lock_id)
            if row is None:
                raise NotFound(f"No PIN lock {lock_id}", code="pin-lock-not-found",
                               details={"lock_id": lock_id})  # fmt: skip
            if not _lock(row).active(now):
                raise Conflict(f"PIN lock {lock_id} has already ended", code="pin-lock-ended",
                               details={"lock_id": lock_id})  # fmt: skip
            row.unlocked_at, row.unlocked_by = now, by
            session.add(PinAuditRow(at=now, action="pin_unlock", lock_id=lock_id, actor=by,
                                    reason=reason))  # fmt: skip
            await session.flush()
            return _lock(row)

    async def audit(self, limit: int = 100) -> list[PinAuditEntry]:
        query = select(PinAuditRow).order_by(PinAuditRow.id.desc()).limit(limit)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [PinAuditEntry(r.at, r.action, r.lock_id, r.actor, r.reason) for r in rows]
