"""Flow versions in SQL: the tables, the records read from them, and `FlowVersionStore`.

Rules:
- `flow_versions` rows are immutable (triggers in `0004_flow_versions` refuse UPDATE/DELETE):
  one row per save of a flow, numbered 1, 2, ... per flow, with its YAML text and sha256.
- `flow_live` holds the one live version of each flow; it changes only together with a
  `flow_audit` row (append-only: publish, rollback, seed) and a bump of `flow_generation`.
- `flow_generation` is a single row (id 1): the compare-and-swap point of every live change
  (`UPDATE ... SET generation = g + 1 WHERE generation = g`) and what running apps poll.
- Every live change (seed, publish, rollback) is one transaction: the generation bump, the live
  pointer, an audit row. A lost race raises `StaleGeneration` and writes nothing; deciding what
  may go live (validation, retries) is `ivr.flowversions.service`'s job, not the store's.
- The migration `0004_flow_versions` must produce exactly these tables (the store's schema test).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from ivr.errors import IvrError
from ivr.store.base import Base, UtcDateTime

SEED_AUTHOR: Final = "seed"
MAX_ATTEMPTS: Final = 5


# ---------------------------------------------------------------------- errors


class FlowVersionError(IvrError):
    """A flow-version request cannot be done; the message says why and what to do."""


class VersionNotFound(FlowVersionError):
    def __init__(self, flow: str, number: int | None = None) -> None:
        what = f"flow '{flow}' has no version {number}" if number else f"no flow '{flow}'"
        super().__init__(f"{what} (see `ivr flows versions {flow}`)")
        self.flow, self.number = flow, number


class StaleGeneration(FlowVersionError):
    """Another process changed the live set between our read and our write."""


# ---------------------------------------------------------------------- tables


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


# ---------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class FlowVersion:
    flow: str
    number: int
    sha256: str
    author: str
    created_at: datetime
    comment: str


@dataclass(frozen=True, slots=True)
class VersionText:
    version: FlowVersion
    yaml_text: str


@dataclass(frozen=True, slots=True)
class FlowSummary:
    flow: str
    live: int | None
    latest: int
    versions: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str  # publish | rollback | seed
    flow: str
    from_version: int | None
    to_version: int
    comment: str


@dataclass(frozen=True, slots=True)
class LiveSet:
    """The live texts by flow, their version numbers, and the generation they were read at."""

    generation: int
    texts: Mapping[str, str]
    numbers: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class LiveChange:
    flow: str
    number: int
    action: str
    actor: str
    comment: str


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _version(row: FlowVersionRow) -> FlowVersion:
    return FlowVersion(row.flow, row.number, row.sha256, row.author, row.created_at, row.comment)


def _audit(row: FlowAuditRow) -> AuditEntry:
    return AuditEntry(
        row.id, row.at, row.actor, row.action, row.flow, row.from_version, row.to_version,
        row.comment,
    )  # fmt: skip


def _utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------- the store


class FlowVersionStore:
    """Versions, live pointers, audit and generation in SQL (tables migrated by `CallStore`)."""

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    async def generation(self) -> int:
        async with self._sessions() as session:
            value = await session.scalar(select(FlowGenerationRow.generation))
        return int(value or 0)

    async def live(self) -> LiveSet:
        query = select(FlowLiveRow.flow, FlowLiveRow.number, FlowVersionRow.yaml_text).join(
            FlowVersionRow,
            (FlowVersionRow.flow == FlowLiveRow.flow)
            & (FlowVersionRow.number == FlowLiveRow.number),
        )
        async with self._sessions() as session, session.begin():
            generation = await session.scalar(select(FlowGenerationRow.generation))
            rows = (await session.execute(query)).all()
        texts = {flow: text for flow, _n, text in rows}
        return LiveSet(int(generation or 0), texts, {flow: n for flow, n, _t in rows})

    async def summaries(self) -> list[FlowSummary]:
        query = (
            select(FlowVersionRow.flow, func.max(FlowVersionRow.number), func.count())
            .group_by(FlowVersionRow.flow)
            .order_by(FlowVersionRow.flow)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            live = dict((await session.execute(select(FlowLiveRow.flow, FlowLiveRow.number))).all())
        return [FlowSummary(flow, live.get(flow), int(top), int(n)) for flow, top, n in rows]

    async def versions(self, flow: str) -> list[FlowVersion]:
        """Every version of `flow`, oldest first (VersionNotFound when it has none)."""
        query = select(FlowVersionRow).where(FlowVersionRow.flow == flow)
        async with self._sessions() as session:
            rows = (await session.scalars(query.order_by(FlowVersionRow.number))).all()
        if not rows:
            raise VersionNotFound(flow)
        return [_version(r) for r in rows]

    async def version_text(self, flow: str, number: int) -> VersionText:
        query = select(FlowVersionRow).where(
            FlowVersionRow.flow == flow, FlowVersionRow.number == number
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
        if row is None:
            raise VersionNotFound(flow, number)
        return VersionText(_version(row), row.yaml_text)

    async def audit(self, flow: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Audit rows, newest first."""
        query = select(FlowAuditRow).order_by(FlowAuditRow.id.desc()).limit(limit)
        if flow is not None:
            query = query.where(FlowAuditRow.flow == flow)
        async with self._sessions() as session:
            return [_audit(r) for r in (await session.scalars(query)).all()]

    async def save(self, flow: str, text: str, author: str, comment: str) -> FlowVersion:
        """Store `text` as the next version of `flow` (not live). Retries a numbering race."""
        for _ in range(MAX_ATTEMPTS):
            try:
                async with self._sessions.begin() as session:
                    return await self._insert_version(session, flow, text, author, comment)
            except SQLAlchemyError as exc:  # the (flow, number) unique key: another saver won
                last: Exception = exc
        raise FlowVersionError(f"cannot save a version of flow '{flow}': {last}")

    async def _insert_version(
        self, session: AsyncSession, flow: str, text: str, author: str, comment: str
    ) -> FlowVersion:
        top = await session.scalar(
            select(func.max(FlowVersionRow.number)).where(FlowVersionRow.flow == flow)
        )
        row = FlowVersionRow(
            flow=flow, number=int(top or 0) + 1, yaml_text=text, sha256=sha256_of(text),
            author=author, created_at=self._now(), comment=comment,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return _version(row)

    async def make_live(
        self, changes: Sequence[LiveChange], expected_generation: int
    ) -> list[AuditEntry]:
        """Apply live changes in one transaction if the generation is still `expected_generation`
        (else StaleGeneration, nothing written); one audit row each."""
        async with self._sessions.begin() as session:
            await self._bump(session, expected_generation)
            return [await self._apply(session, change) for change in changes]

    async def seed(self, texts: Mapping[str, str], expected_generation: int) -> list[AuditEntry]:
        """Versions 1 (author `seed`) of flows that have none, made live, in one transaction."""
        comment = "seeded from file"
        async with self._sessions.begin() as session:
            await self._bump(session, expected_generation)
            entries = []
            for flow, text in sorted(texts.items()):
                version = await self._insert_version(session, flow, text, SEED_AUTHOR, comment)
                change = LiveChange(flow, version.number, "seed", SEED_AUTHOR, comment)
                entries.append(await self._apply(session, change))
            return entries

    async def _bump(self, session: AsyncSession, expected_generation: int) -> None:
        """The compare-and-swap of the generation row (row-locking on PostgreSQL)."""
        bumped = await session.execute(
            update(FlowGenerationRow)
            .where(FlowGenerationRow.id == 1, FlowGenerationRow.generation == expected_generation)
            .values(generation=expected_generation + 1)
        )
        if getattr(bumped, "rowcount", 0) != 1:
            raise StaleGeneration("the live flows changed meanwhile")

    async def _apply(self, session: AsyncSession, change: LiveChange) -> AuditEntry:
        now = self._now()
        live = await session.get(FlowLiveRow, change.flow)
        before = None if live is None else live.number
        if live is None:
            session.add(FlowLiveRow(flow=change.flow, number=change.number, since=now))
        else:
            live.number, live.since = change.number, now
        row = FlowAuditRow(
            at=now, actor=change.actor, action=change.action, flow=change.flow,
            from_version=before, to_version=change.number, comment=change.comment,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return _audit(row)
