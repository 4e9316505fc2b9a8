"""SQL tables of PIN verification that counts across calls: failures, locks, unlock audit.

Rules:
- `pin_failures`: one row per wrong PIN (when, which account by its stored key, the calling
  number, the call). Never the PIN, never the account in clear (`account_key`, masked copy).
- `pin_locks`: one row per lock of an account (`scope=account`, `subject` = account key) or of
  a calling number (`scope=caller`, `subject` = the number); it ends at `expires_at` (None:
  until unlocked) or when someone unlocks it (`unlocked_at`, `unlocked_by`).
- `pin_audit`: append-only trail of locks and `pin_unlock` actions (who, when, why).
- Migration 0008 creates them; `ivr.store.schema` registers this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.base import Base, UtcDateTime


class PinFailureRow(Base):
    __tablename__ = "pin_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    account_key: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_pin_failures_account", "account_key", "at"),
        Index("ix_pin_failures_caller", "caller", "at"),
    )


class PinLockRow(Base):
    __tablename__ = "pin_locks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))  # account | caller
    subject: Mapped[str] = mapped_column(String(64))  # account key | calling number
    label: Mapped[str] = mapped_column(String(64))  # masked account | calling number
    failures: Mapped[int] = mapped_column(Integer)
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unlocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    unlocked_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_pin_locks_subject", "scope", "subject"),)


class PinAuditRow(Base):
    __tablename__ = "pin_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    action: Mapped[str] = mapped_column(String(32))  # lock | pin_unlock
    lock_id: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(128))  # a user's name, or "ivr" for a lock
    reason: Mapped[str] = mapped_column(Text)
