"""Write-behind call records: sessions report, one writer task persists the call rows in order.

A call never waits on SQL. `CallRecordWriter` turns each report (call started, answered, queued,
trace entries, ended) into a plain record with its own time stamp and call id, keeps it in a
bounded buffer, and one task applies the records to the `CallStore` in arrival order, up to
`BATCH` of them in one transaction (one commit for many rows: under load the database and its
driver thread cost the event loop a fraction of one transaction per record).

Rules:
- Nothing is dropped for an outage. While the database refuses (locked, down), the writer
  retries the oldest record with a capped backoff: one warning when the outage starts, one line
  when it ends, no tracebacks.
- When the buffer is full, and at shutdown after `flush_deadline_s`, the pending records are
  appended to the journal (`ivr.call.record_journal`, fsync'd). The writer replays the journal
  before anything newer: after an outage and at the next start.
- Journal appends (with their fsync) and its truncation run off the event loop, in order, in
  one worker thread; while one is in flight the writer takes nothing newer from memory, so the
  order of the records stays the order they were reported in. `aclose` waits for them.
- Every write is idempotent (call id; call id + trace seq, numbered here at report time), so a
  record replayed after a partial or repeated write is stored exactly once.
- A record the database rejects for good (not an outage) is dropped with one error line; a
  batch rejected so is written again record by record, so only that record is dropped.
- Log lines carry call ids and error classes only: never a bound value (caller, account).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivr.call.record_batch import write_grouped
from ivr.call.record_journal import Journal
from ivr.engine.commands import TraceEntry
from ivr.metrics import Metrics
from ivr.store import CallStore
from ivr.store.calls import CallSummary, scrub_detail
from ivr.store.engine import is_outage, short_error

log = logging.getLogger(__name__)

STOP_WRITE_S = 10.0  # how long `aclose` lets a write already in the database finish
BATCH = 100  # records written in one transaction at most
JournalLine = dict[str, Any]  # {"kind", "call_id", "at", ...}: one JSON line of the journal


def _now() -> datetime:
    return datetime.now(UTC)


def _take(records: deque[JournalLine]) -> list[JournalLine]:
    """The oldest `BATCH` records (or all), removed from `records`."""
    return [records.popleft() for _ in range(min(BATCH, len(records)))]


class CallRecordWriter:
    """The `CallRecords` port of a call session (`ivr.call.deps`), written to a `CallStore`.

    It writes call rows and traces only; audio recordings are `ivr.call.recording`."""

    def __init__(
        self,
        store: CallStore,
        journal: Path | None = None,
        max_pending: int = 1000,
        *,
        flush_deadline_s: float = 5.0,
        retry_s: tuple[float, float] = (0.05, 2.0),
        metrics: Metrics | None = None,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self._store = store
        self._journal = Journal(journal) if journal is not None else None
        self._max_pending = max_pending
        self._deadline_s = flush_deadline_s
        self._retry_s = retry_s
        self._metrics = metrics
        self._now = now
        self._pending: deque[JournalLine] = deque()
        self._replay: deque[JournalLine] = deque()  # read from the journal, not yet written
        self._inflight: list[JournalLine] = []  # the batch being written
        self._inflight_journaled = False
        self._replayed = False  # the record in flight was read back from the journal
        # journal appends and truncation, in order, off the event loop (one thread)
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-journal")
        self._io_closed = False
        self._spilling: set[asyncio.Future[None]] = set()  # journal writes not yet done
        self._ids: dict[str, str] = {}  # session key -> call id
        self._seq: dict[str, int] = {}  # call id -> last trace seq
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._outage_since: float | None = None
        self._writing = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.written = 0  # records written (tests, bench)
        self._gauge()
        self._dependency(True)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._writer(), name="call-record-writer")

    async def aclose(self) -> None:
        """Write what is pending within `flush_deadline_s`, then journal the rest and stop.

        A write already in the database is let finish (a lock's busy wait ends on its own;
        at most `STOP_WRITE_S`): cancelling it mid-statement can wedge the driver. What it
        carries is in the journal already, and a replay stores it once."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._deadline_s):
                await self.flush()
        if self._pending or (self._inflight and not self._inflight_journaled):
            count = self._spill()
            log.warning("call records: %d record(s) kept in the journal for the next start", count)
        if self._spilling:
            await asyncio.wait(set(self._spilling), timeout=STOP_WRITE_S)
        self._stopping = True
        task, self._task = self._task, None
        if task is None:
            return
        if self._writing:
            await asyncio.wait({task}, timeout=STOP_WRITE_S)
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_WRITE_S)
        self._io_closed = True  # a report still coming is journaled on the spot
        await asyncio.to_thread(self._io.shutdown, wait=True)

    async def flush(self) -> None:
        """Wait until everything reported so far (and the journal) is written."""
        while not self._drained():
            self._idle.clear()
            await self._idle.wait()

    def _drained(self) -> bool:
        unread = self._journal is not None and self._journal.has_unread()
        busy = self._spilling or self._inflight
        return not (self._pending or self._replay or unread or busy)

    def call_id(self, key: str) -> str | None:
        return self._ids.get(key)

    @property
    def pending(self) -> int:
        """Records in memory, not yet written."""
        return len(self._pending) + len(self._replay) + len(self._inflight)

    @property
    def journaled(self) -> int:
        """Records of the journal not yet written (also those read back, being replayed)."""
        if self._journal is None:
            return 0
        replaying = len(self._replay) + (len(self._inflight) if self._replayed else 0)
        return self._journal.lines + replaying

    @property
    def database_up(self) -> bool:
        """False from a write the database refused as unavailable to the next one it took
        (`/healthz` lists `database`; `ivr_dependency_up{dependency="database"}`)."""
        return self._outage_since is None

    def _dependency(self, up: bool) -> None:
        if self._metrics is not None:
            self._metrics.dependency("database", up)

    def _gauge(self) -> None:
        if self._metrics is not None:
            self._metrics.records_in_memory.set(len(self._pending))
            self._metrics.records_journaled.set(self.journaled)

    # ------------------------------------------------------------------ buffer

    def _put(self, record: JournalLine) -> None:
        self._pending.append(record)
        if self._stopping or len(self._pending) >= self._max_pending:
            self._spill()  # stopped: a report that comes late goes straight to the journal
        self._gauge()
        self._idle.clear()
        self._wakeup.set()

    def _spill(self) -> int:
        """Move the in-memory records (oldest first) to the journal; the count moved."""
        if self._journal is None:
            return 0
        head: list[JournalLine] = []
        if self._inflight and not self._inflight_journaled:
            head.extend(self._inflight)  # written twice at worst: idempotent
            self._inflight_journaled = True
        records = head + list(self._pending)
        self._pending.clear()
        self._journal_io(self._journal.append, records)
        return len(records)

    def _journal_io(self, work: Callable[..., None], *args: Any) -> None:
        """Run a journal write (append + fsync, or truncation) off the loop, after the ones
        before it; the writer takes nothing newer from memory until it is done."""
        if self._io_closed:  # stopped: the loop is ending, so block it this once
            work(*args)
            self._gauge()
            return
        future = asyncio.get_running_loop().run_in_executor(self._io, work, *args)
        self._spilling.add(future)
        future.add_done_callback(self._journal_done)

    def _journal_done(self, future: asyncio.Future[None]) -> None:
        self._spilling.discard(future)
        exc = None if future.cancelled() else future.exception()
        if exc is not None:
            log.error("call-record journal: write failed (%s)", short_error(exc))
        self._gauge()
        self._wakeup.set()

    def _next(self) -> tuple[list[JournalLine], bool] | None:
        """The oldest records not written (up to `BATCH`, all from one place), and whether the
        journal holds them: journal first; None while a journal write is in flight (what it
        carries is older than memory)."""
        if self._replay:
            return _take(self._replay), True
        if self._spilling:
            return None
        journal = self._journal
        if journal is not None and journal.has_unread():
            self._replay.extend(journal.read())
            if self._replay:
                return _take(self._replay), True
        if journal is not None and journal.offset:
            self._journal_io(journal.clear)  # every line written: emptied before new appends
            return None
        if self._pending:
            return _take(self._pending), False
        return None

    # ------------------------------------------------------------------ writer task

    async def _writer(self) -> None:
        while True:
            item = self._next()
            if item is None:
                self._gauge()
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            self._inflight, self._inflight_journaled = item
            self._replayed = item[1]
            await self._write_with_retry(self._inflight)
            self._inflight = []
            self._gauge()
            if self._stopping:
                return

    async def _write_with_retry(self, batch: list[JournalLine]) -> None:
        loop = asyncio.get_running_loop()
        delay = self._retry_s[0]
        while True:
            try:
                self._writing = True
                try:
                    await self._write_batch(batch)
                finally:
                    self._writing = False
            except Exception as exc:
                if not is_outage(exc):
                    if len(batch) > 1:  # which record is it? each on its own, that one dropped
                        for record in batch:
                            await self._write_with_retry([record])
                        return
                    log.error(
                        "call record dropped: %s of call %s (%s)",
                        batch[0].get("kind"), batch[0].get("call_id"), short_error(exc),
                    )  # fmt: skip
                    return
                if self._outage_since is None:
                    self._outage_since = loop.time()
                    self._dependency(False)
                    log.warning(
                        "call records: database unavailable (%s); buffering, journal when full",
                        short_error(exc),
                    )
                if self._stopping:
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_s[1])
                continue
            self.written += len(batch)
            if self._outage_since is not None:
                log.warning(
                    "call records: database back after %.1f s; writing the backlog",
                    loop.time() - self._outage_since,
                )
                self._outage_since = None
                self._dependency(True)
            return

    async def _write_batch(self, batch: list[JournalLine]) -> None:
        async with self._store.writes() as w:
            for kind in await write_grouped(w, batch):  # a few statements for the batch
                log.error("call-record journal: unknown record kind %r skipped", kind)

    # ------------------------------------------------------------------ CallRecords

    def _record(self, kind: str, call_id: str, **fields: Any) -> None:
        self._put({"kind": kind, "call_id": call_id, "at": self._now().isoformat(), **fields})

    def _known(self, key: str) -> str | None:
        cid = self._ids.get(key)
        if cid is None:
            log.warning("no call row for key=%s (start not recorded)", key)
        return cid

    def call_started(
        self,
        key: str,
        *,
        call_id: str,
        channel_id: str,
        caller: str,
        dialed: str,
        language: str,
        flow: str,
    ) -> None:
        self._ids[key] = call_id
        self._seq[call_id] = 0
        self._record(
            "start", call_id, channel_id=channel_id, caller=caller, dialed=dialed,
            language=language, flow=flow,
        )  # fmt: skip

    async def resume(self, key: str, channel_id: str, wait_s: float = 5.0) -> CallSummary | None:
        """The open row of call `channel_id` (adopted after an app crash), its reports from now
        on written to it, its trace numbered on from the last stored entry; None when there is
        none (or the database does not answer within `wait_s`). What the journal holds is
        written first, so a row and its trace reported by the dead process are found."""
        if self._outage_since is not None:
            return None  # the database is known down: no waiting, call after call
        try:
            async with asyncio.timeout(wait_s):
                await self.flush()
                found = await self._store.find_by_channel(channel_id)
        except Exception as exc:  # an outage or a timeout: not adopted, reclaimed instead
            log.warning("call=%s row not found for adoption (%s)", key, short_error(exc))
            return None
        if found is None or found.call.ended_at is not None:
            return None
        cid = str(found.call.id)
        self._ids[key] = cid
        self._seq[cid] = max((t.seq for t in found.trace), default=0)
        return found.call

    async def row_of(self, channel_id: str, wait_s: float = 30.0) -> CallSummary | None:
        """The row of call `channel_id` once every record before it is written; None when there
        is none, or the database does not answer within `wait_s`."""
        try:
            async with asyncio.timeout(wait_s):
                await self.flush()
                found = await self._store.find_by_channel(channel_id)
        except Exception as exc:  # an outage or a timeout
            log.warning("call=%s row not found (%s)", channel_id, short_error(exc))
            return None
        return None if found is None else found.call

    def lost(self, channel_id: str, cause: str) -> None:
        """Close the open row of call `channel_id` as `lost` (reclaimed after its instance
        died). Ordered after every record already reported or journaled, so a start replayed
        from the journal is closed, and a row that has its end is never closed twice."""
        self._put(
            {"kind": "lost", "call_id": "", "channel_id": channel_id, "cause": cause,
             "at": self._now().isoformat()}
        )  # fmt: skip

    def answered(self, key: str) -> None:
        if (cid := self._known(key)) is not None:
            self._record("answered", cid)

    def queued(self, key: str, queue: str, priority: str) -> None:
        if (cid := self._known(key)) is not None:
            self._record("queued", cid, queue=queue, priority=priority)

    def trace(self, key: str, entries: Iterable[TraceEntry]) -> None:
        if (cid := self._known(key)) is None:
            return
        at = self._now().isoformat()
        rows = [
            {
                "node": e.node,
                "kind": e.kind,
                "detail": scrub_detail({"flow": e.flow, **e.detail}),
                "at": at,
            }
            for e in entries
        ]
        if not rows:
            return
        first = self._seq.get(cid, 0) + 1
        self._seq[cid] = first + len(rows) - 1
        self._record("trace", cid, first_seq=first, entries=rows)

    def call_ended(self, key: str, outcome: str, cause: str | None) -> None:
        cid = self._ids.pop(key, None)
        if cid is not None:
            self._seq.pop(cid, None)
            self._record("ended", cid, outcome=outcome, cause=cause)
