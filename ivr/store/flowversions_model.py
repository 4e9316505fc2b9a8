"""SQL tables of flow versions: immutable versions, the live pointer, the audit log, a generation.

Rules:
- `flow_versions` rows are immutable (triggers in `0004_flow_versions` refuse UPDATE/DELETE):
  one row per save of a flow, numbered 1, 2, ... per flow, with its YAML text and sha256.
- `flow_live` holds the one live version of each flow; it changes only together with an
  `flow_audit` row (append-only: publish, rollback, seed) and a bump of `flow_generation`.
- `flow_generation` is a single row (id 1): the compare-and-swap point of every live change
  (`UPDATE ... SET generation = g + 1 WHERE generation = g`) and what running apps poll.
- The migration `0004_flow_versions` must produce exactly these tables (the store's schema test).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base, UtcDateTime


class FlowVersionRow(Base):
    __tablename__ = "flow_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(128))
    number: Mapped[int] = mapped_column(Integer)
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    comment: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("flow", "number", name="uq_flow_versions_flow_number"),)


class FlowLiveRow(Base):
    __tablename__ = "flow_live"

    flow: Mapped[str] = mapped_column(String(128), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        ForeignKeyConstraint(
            ["flow", "number"],
            ["flow_versions.flow", "flow_versions.number"],
            name="fk_flow_live_version",
        ),
    )


class FlowAuditRow(Base):
    __tablename__ = "flow_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    flow: Mapped[str] = mapped_column(String(128))
    from_version: Mapped[int | None] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_flow_audit_flow", "flow"),)


class FlowGenerationRow(Base):
    __tablename__ = "flow_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer)
