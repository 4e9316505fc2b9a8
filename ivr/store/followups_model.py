"""SQL tables of follow-up work items (`followups`) and their append-only history
(`followup_events`). The store over them is `ivr.followups.store`.

Rules:
- One row per promise the hotline made (a callback, a captured phone order, a complaint
  answer...). `account_digest` is the account's stored form (the demo back office's digest,
  never the number in clear); `account_masked` keeps the last 4 digits only (`****5678`).
- `order_json` holds the structured phone order (contract, direction, offset, price, lots) for
  kind `phone_order`; `recordings` the names of the recordings the promise refers to.
- `followup_events` is append-only: the store inserts, never updates or deletes.
- Times are aware UTC datetimes (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.base import Base, UtcDateTime


class FollowupRow(Base):
    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))  # urgent | normal | low
    reason: Mapped[str] = mapped_column(String(64))
    caller: Mapped[str] = mapped_column(String(64))
    account_digest: Mapped[str | None] = mapped_column(String(64))
    account_masked: Mapped[str | None] = mapped_column(String(16))
    call_id: Mapped[str | None] = mapped_column(String(64))  # the call row (calls.id)
    recordings: Mapped[list[str]] = mapped_column(JSON)
    order_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reference: Mapped[str | None] = mapped_column(String(32))  # T000012 / C000034 told the caller
    queue: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # user name
    escalation: Mapped[int] = mapped_column(Integer)  # 0 none, 1 alerted, 2 to supervisors
    outcome: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_followups_status_due", "status", "due_at"),
        Index("ix_followups_call_id", "call_id"),
    )


class FollowupEventRow(Base):
    __tablename__ = "followup_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    followup_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("followups.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))  # a user name, or `system`
    action: Mapped[str] = mapped_column(String(32))  # created, claimed, dialing_agent, ...
    status: Mapped[str] = mapped_column(String(16))  # the item's status after the action
    why: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_followup_events_followup_id", "followup_id"),)
