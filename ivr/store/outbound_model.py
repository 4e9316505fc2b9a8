"""SQL tables of the outbound dialer: campaigns, the calls to place, their attempts, and the
do-not-call list (docs/dialer.md).

Rules:
- `outbound_calls` is the dialer's whole state: a restart reads it back and loses nothing.
  `status` is `queued` (waiting for `next_at`, epoch seconds), `dialing` (a leg is out),
  or final: `confirmed`, `handed_to_agent`, `unconfirmed` (escalated), `refused`, `cancelled`.
- `account` is stored masked (`****5678`, the one masking policy): the campaign file had the
  full number, nothing after it needs more than the last 4 digits, and account numbers are
  never stored in clear (migration 0011 masked rows stored before).
- `outbound_attempts` is append-only: one row per leg, with its result, hang-up cause and the
  call id of the recorded call (`ivr_call_id`, the recordings' call id) when it was answered.
- A confirmation keeps the digit, the time and the attempt on the call row.
- The migration `0007_outbound` must produce exactly these tables (the store's schema test).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.base import Base, UtcDateTime


class CampaignRow(Base):
    __tablename__ = "outbound_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OutboundCallRow(Base):
    __tablename__ = "outbound_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("outbound_campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    line: Mapped[int] = mapped_column(Integer)  # line of the campaign file
    account: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32))  # the validated dial form
    facts: Mapped[str] = mapped_column(Text)  # JSON: what the call states
    status: Mapped[str] = mapped_column(String(32))
    next_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_result: Mapped[str | None] = mapped_column(String(32))
    confirmed_digit: Mapped[str | None] = mapped_column(String(4))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirmed_attempt: Mapped[int | None] = mapped_column(Integer)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_outbound_calls_status_next", "status", "next_at"),)


class AttemptRow(Base):
    __tablename__ = "outbound_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbound_id: Mapped[int] = mapped_column(ForeignKey("outbound_calls.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    leg: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    result: Mapped[str | None] = mapped_column(String(32))
    cause: Mapped[str | None] = mapped_column(String(32))
    ivr_call_id: Mapped[str | None] = mapped_column(String(64))


class DoNotCallRow(Base):
    __tablename__ = "do_not_call"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)  # E.164
    reason: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
