"""SQL tables (SQLAlchemy 2 declarative, typed): call records and the demo back-office.

Rules:
- `calls` holds one row per call; `call_trace` the IVR trace of each call (node entered,
  masked inputs, decisions, timings). Trace details arrive masked by the engine; PINs and
  full account numbers are never stored there.
- `demo_accounts`, `demo_trades`, `tickets`, `callbacks` back the demo lookup providers
  (`ivr.providers.sql`). PINs are stored only as salted scrypt hashes.
- Times are stored as UTC (`ivr.store.base.UtcDateTime`: aware datetimes on every backend).
- The Alembic migrations in `ivr/store/migrations/` must produce exactly this schema (a test
  compares them with `ivr.store.schema`); change both together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NewType

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.base import Base, UtcDateTime

CallRowId = NewType("CallRowId", str)


class CallRow(Base):
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(128))
    caller: Mapped[str] = mapped_column(String(64))
    dialed: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(128))
    flow_version: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(64))
    hangup_cause: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (Index("ix_calls_started_at", "started_at"),)


class TraceRow(Base):
    __tablename__ = "call_trace"

    call_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    flow: Mapped[str | None] = mapped_column(String(128))
    node: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class DemoAccount(Base):
    __tablename__ = "demo_accounts"

    # the account number never in clear: its digest (`ivr.providers.demo_data.account_key`)
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_masked: Mapped[str] = mapped_column(String(16))  # ****5678
    name: Mapped[str] = mapped_column(String(64))
    pin_salt: Mapped[str] = mapped_column(String(64))  # hex
    pin_hash: Mapped[str] = mapped_column(String(128))  # hex scrypt(pin, salt)
    vip_tier: Mapped[str | None] = mapped_column(String(16))
    caller: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(16))
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    available: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    margin_used: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class DemoTrade(Base):
    __tablename__ = "demo_trades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(  # the account's digest, as in demo_accounts
        String(64), ForeignKey("demo_accounts.account"), index=True
    )
    traded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    contract: Mapped[str] = mapped_column(String(32))  # e.g. rb2510
    direction: Mapped[str] = mapped_column(String(8))  # buy | sell
    offset: Mapped[str] = mapped_column(String(8))  # open | close
    price: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    lots: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    caller: Mapped[str] = mapped_column(String(64))
    account_masked: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)


class Callback(Base):
    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    caller: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
