"""`CallStore`: the call records (one row per call) and their IVR traces, in SQL.

Rules:
- Async only (SQLAlchemy 2 asyncio); every method is one short transaction, and
  `writes()` gives several writes in one (`CallWrites`: the write-behind writer's batches).
- The trace is appended in batches: `append_trace(call_id, entries)` writes a list of entries
  in one INSERT, numbered by `seq` in arrival order. One task owns a call, so appends of one
  call never race.
- Writes can be replayed (the write-behind journal, `ivr.call.records`): `create_call` with an
  existing id does nothing, updates take explicit values, and `append_trace(..., first_seq=n)`
  numbers entries n, n+1, ... and skips those already stored (key: call id + seq).
- Details arrive masked by the engine. As a second line of defence, values under keys that
  name a secret (pin, password, ...) are replaced by "****" before they are stored.
- Times are aware UTC datetimes; `now` is injectable for tests.
"""

from __future__ import annotations

import contextlib
import functools
import re
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from sqlalchemy import Insert, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from ivr.store.engine import open_engine
from ivr.store.models import CallRow, CallRowId, TraceRow

_SECRET_DETAIL = re.compile(r"(^|_)(pin|password|passwd|secret)(_|$)", re.IGNORECASE)


class TraceLike(Protocol):
    """What `append_trace` stores: the engine's TraceEntry fits (flow, node, kind, detail).

    Optional attributes read when present: `flow: str`, `at: datetime`.
    """

    @property
    def node(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def detail(self) -> Mapping[str, object]: ...


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """A stored trace entry."""

    seq: int
    at: datetime
    flow: str | None
    node: str
    kind: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CallSummary:
    """A row of `calls`."""

    id: CallRowId
    channel_id: str
    caller: str
    dialed: str
    language: str
    flow: str
    flow_version: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    hangup_cause: str | None
    queue: str | None
    priority: str | None


@dataclass(frozen=True, slots=True)
class CallDetail:
    call: CallSummary
    trace: tuple[TraceRecord, ...]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    return _SECRET_DETAIL.search(key) is not None


_PLAIN = frozenset({str, int, float, bool, type(None)})


def scrub_detail(detail: Mapping[str, object]) -> dict[str, Any]:
    """A JSON-ready copy of `detail` with secret-named values masked."""
    clean: dict[str, Any] = {}
    for key, value in detail.items():
        name = key if type(key) is str else str(key)
        kind = type(value)
        if _secret_key(name) and value not in (None, ""):
            clean[name] = "****"
        elif kind in _PLAIN:  # the usual case; exact types (an enum of str goes below)
            clean[name] = value
        elif isinstance(value, Mapping):
            clean[name] = scrub_detail(value)
        elif isinstance(value, str | int | float | bool):
            clean[name] = value
        elif isinstance(value, list | tuple):
            clean[name] = [v if isinstance(v, str | int | float | bool) else str(v) for v in value]
        else:
            clean[name] = str(value)
    return clean


def _summary(row: CallRow) -> CallSummary:
    return CallSummary(
        id=CallRowId(row.id),
        channel_id=row.channel_id,
        caller=row.caller,
        dialed=row.dialed,
        language=row.language,
        flow=row.flow,
        flow_version=row.flow_version,
        started_at=row.started_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        outcome=row.outcome,
        hangup_cause=row.hangup_cause,
        queue=row.queue,
        priority=row.priority,
    )


_CALLS: Table = CallRow.__table__  # type: ignore[assignment]
_TRACE: Table = TraceRow.__table__  # type: ignore[assignment]


def _trace_row(call_id: CallRowId, seq: int, entry: TraceLike, stamp: datetime) -> dict[str, Any]:
    """One trace table row (its detail scrubbed); `stamp` when the entry has no time."""
    return {
        "call_id": call_id,
        "seq": seq,
        "at": getattr(entry, "at", None) or stamp,
        "flow": getattr(entry, "flow", None),
        "node": entry.node,
        "kind": entry.kind,
        "detail": scrub_detail(entry.detail),
    }


class CallWrites:
    """The call-record writes of one transaction (`CallStore.writes()`); each is replayable.

    Core statements on one connection (the ORM's unit of work buys nothing for these rows and
    cost most of the writer's CPU). A row already stored is skipped by the database itself
    (`INSERT ... ON CONFLICT DO NOTHING` on SQLite and PostgreSQL), not by a read before it."""

    def __init__(self, conn: AsyncConnection, now: Callable[[], datetime]) -> None:
        self._conn = conn
        self._now = now
        self._dialect = conn.dialect.name

    def _insert_new(self, table: Table) -> Insert | None:
        """INSERT that skips rows whose key is stored; None where the dialect has none."""
        if self._dialect == "sqlite":
            return sqlite_insert(table).on_conflict_do_nothing()
        if self._dialect == "postgresql":
            return pg_insert(table).on_conflict_do_nothing()
        return None

    async def create_call(
        self,
        *,
        channel_id: str,
        caller: str,
        dialed: str,
        language: str,
        flow: str,
        flow_version: str | None = None,
        call_id: str | None = None,
        started_at: datetime | None = None,
    ) -> CallRowId:
        """Insert a new call row (none when `call_id` is stored already); returns its id."""
        new_id = CallRowId(call_id or uuid.uuid4().hex)
        row = {
            "id": new_id, "channel_id": channel_id, "caller": caller, "dialed": dialed,
            "language": language, "flow": flow, "flow_version": flow_version,
            "started_at": started_at or self._now(),
        }  # fmt: skip
        stmt = self._insert_new(_CALLS)
        if stmt is None:
            if call_id is not None and await self._conn.scalar(
                select(_CALLS.c.id).where(_CALLS.c.id == new_id)
            ):
                return new_id
            stmt = insert(_CALLS)
        await self._conn.execute(stmt, [row])
        return new_id

    async def update(self, call_id: CallRowId, **values: Any) -> None:
        """Set explicit column values of a call row (none: no row, nothing happens)."""
        await self._conn.execute(update(_CALLS).where(_CALLS.c.id == call_id).values(**values))

    async def close_lost(self, channel_id: str, cause: str, at: datetime | None = None) -> bool:
        """Close the open row of call `channel_id` as `lost`; False when there is none."""
        result = await self._conn.execute(
            update(_CALLS)
            .where(_CALLS.c.channel_id == channel_id, _CALLS.c.ended_at.is_(None))
            .values(ended_at=at or self._now(), outcome="lost", hangup_cause=cause)
        )
        return bool(result.rowcount)

    async def append_trace(
        self,
        call_id: CallRowId,
        entries: Sequence[TraceLike],
        at: datetime | None = None,
        *,
        first_seq: int | None = None,
    ) -> None:
        """Trace entries of one call in one INSERT (see `CallStore.append_trace`)."""
        if not entries:
            return
        stamp = at or self._now()
        conn, stored = self._conn, set[int]()
        stmt = insert(_TRACE)
        if first_seq is None:  # numbered after the last stored entry
            last = await conn.scalar(
                select(func.coalesce(func.max(_TRACE.c.seq), 0)).where(_TRACE.c.call_id == call_id)
            )
        else:  # numbered from `first_seq`; entries stored already are skipped
            last = first_seq - 1
            new = self._insert_new(_TRACE)
            if new is not None:
                stmt = new
            else:
                seqs = list(range(first_seq, first_seq + len(entries)))
                found = await conn.scalars(
                    select(_TRACE.c.seq).where(_TRACE.c.call_id == call_id, _TRACE.c.seq.in_(seqs))
                )
                stored = set(found)
        first = int(last or 0) + 1
        rows = [
            _trace_row(call_id, first + n, entry, stamp)
            for n, entry in enumerate(entries)
            if first + n not in stored
        ]
        if rows:
            await conn.execute(stmt, rows)

    async def create_calls(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Several new call rows (keys as `create_call`'s, `id` the call id) in one statement
        where the database can skip rows stored already; else one by one."""
        stmt = self._insert_new(_CALLS)
        if stmt is None:
            for row in rows:
                await self.create_call(
                    **{("call_id" if k == "id" else k): v for k, v in row.items()}
                )
        elif rows:
            await self._conn.execute(stmt, [dict(row) for row in rows])

    async def append_traces(
        self, parts: Sequence[tuple[CallRowId, Sequence[TraceLike], int]]
    ) -> None:
        """Trace entries of several calls, each (call id, entries, first seq), in one statement
        where the database can skip entries stored already; else call by call."""
        stmt = self._insert_new(_TRACE)
        if stmt is None:
            for call_id, entries, first_seq in parts:
                await self.append_trace(call_id, entries, first_seq=first_seq)
            return
        stamp = self._now()
        rows = [
            _trace_row(call_id, first_seq + n, entry, stamp)
            for call_id, entries, first_seq in parts
            for n, entry in enumerate(entries)
        ]
        if rows:
            await self._conn.execute(stmt, rows)

    async def update_calls(self, changes: Sequence[tuple[CallRowId, Mapping[str, Any]]]) -> None:
        """Column values of several call rows: one statement per set of columns, rows in their
        order (a later value of the same column wins)."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for call_id, values in changes:
            row = {"row_id": call_id, **{f"v_{c}": v for c, v in values.items()}}
            groups.setdefault(tuple(values), []).append(row)
        for columns, rows in groups.items():
            stmt = (
                update(_CALLS)
                .where(_CALLS.c.id == bindparam("row_id"))
                .values({c: bindparam(f"v_{c}") for c in columns})
            )
            await self._conn.execute(stmt, rows)


class CallStore:
    """Call records and traces over an AsyncEngine. Open with `await CallStore.open(url)`."""

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, now: Callable[[], datetime] = _utcnow
    ) -> Self:
        """Connect to `url` and (by default) migrate the schema to the newest revision."""
        return cls(await open_engine(url, migrate=migrate), now=now)

    async def close(self) -> None:
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def writes(self) -> AsyncIterator[CallWrites]:
        """Several writes in ONE transaction (the write-behind writer's batches): committed
        together at the end of the block, rolled back together if any fails."""
        async with self.engine.begin() as conn:
            yield CallWrites(conn, self._now)

    async def create_call(
        self,
        *,
        channel_id: str,
        caller: str,
        dialed: str,
        language: str,
        flow: str,
        flow_version: str | None = None,
        call_id: str | None = None,
        started_at: datetime | None = None,
    ) -> CallRowId:
        """Insert a new call row; returns its id (`call_id`, or a fresh uuid4 hex)."""
        async with self.writes() as w:
            return await w.create_call(
                channel_id=channel_id, caller=caller, dialed=dialed, language=language,
                flow=flow, flow_version=flow_version, call_id=call_id, started_at=started_at,
            )  # fmt: skip

    async def mark_answered(self, call_id: CallRowId, at: datetime | None = None) -> None:
        async with self.writes() as w:
            await w.update(call_id, answered_at=at or self._now())

    async def set_queue(self, call_id: CallRowId, queue: str, priority: str) -> None:
        """Record the queue hand-off of a call (queue name, priority class)."""
        async with self.writes() as w:
            await w.update(call_id, queue=queue, priority=priority)

    async def close_call(
        self, call_id: CallRowId, outcome: str, cause: str | None, at: datetime | None = None
    ) -> None:
        """End a call: outcome (e.g. `queued`, `hangup`, `completed`) and the hangup cause."""
        async with self.writes() as w:
            await w.update(call_id, ended_at=at or self._now(), outcome=outcome, hangup_cause=cause)

    async def close_lost(self, channel_id: str, cause: str, at: datetime | None = None) -> bool:
        """Close the open row of call `channel_id` with outcome `lost` (its app instance died);
        False when there is none (already closed rows are never closed twice)."""
        async with self.writes() as w:
            return await w.close_lost(channel_id, cause, at)

    async def append_trace(
        self,
        call_id: CallRowId,
        entries: Sequence[TraceLike],
        at: datetime | None = None,
        *,
        first_seq: int | None = None,
    ) -> None:
        """Append trace entries of one call in one statement, numbered after the last one.

        With `first_seq`, entries are numbered from it and those already stored are skipped
        (a replay after a partial or repeated write stores each entry once)."""
        async with self.writes() as w:
            await w.append_trace(call_id, entries, at, first_seq=first_seq)

    async def list_calls(self, limit: int = 50, since: datetime | None = None) -> list[CallSummary]:
        """The newest calls first (at most `limit`); with `since`, only those started since."""
        query = select(CallRow).order_by(CallRow.started_at.desc(), CallRow.id).limit(limit)
        if since is not None:
            query = query.where(CallRow.started_at >= since)
        async with self._sessions() as session:
            return [_summary(row) for row in (await session.scalars(query)).all()]

    async def answered_calls(
        self, flows: Collection[str], since: datetime | None = None
    ) -> list[CallSummary]:
        """Ended, answered calls that started in one of `flows` (since `since`), oldest first:
        what `ivr recordings coverage` expects recordings of."""
        query = (
            select(CallRow)
            .where(
                CallRow.flow.in_(list(flows)),
                CallRow.answered_at.is_not(None),
                CallRow.ended_at.is_not(None),
            )
            .order_by(CallRow.started_at, CallRow.id)
        )
        if since is not None:
            query = query.where(CallRow.started_at >= since)
        async with self._sessions() as session:
            return [_summary(row) for row in (await session.scalars(query)).all()]

    async def get_call(self, call_id: str) -> CallDetail | None:
        """One call with its trace in order, or None when there is no such call."""
        async with self._sessions() as session:
            row = await session.get(CallRow, call_id)
            if row is None:
                return None
            traces = await session.scalars(
                select(TraceRow).where(TraceRow.call_id == call_id).order_by(TraceRow.seq)
            )
            trace = tuple(
                TraceRecord(
                    seq=t.seq, at=t.at, flow=t.flow, node=t.node, kind=t.kind, detail=t.detail
                )
                for t in traces.all()
            )
        return CallDetail(call=_summary(row), trace=trace)

    async def find_by_channel(self, channel_id: str) -> CallDetail | None:
        """The newest call of a caller channel (with its trace), or None."""
        async with self._sessions() as session:
            call_id = await session.scalar(
                select(CallRow.id)
                .where(CallRow.channel_id == channel_id)
                .order_by(CallRow.started_at.desc())
                .limit(1)
            )
        return None if call_id is None else await self.get_call(call_id)
