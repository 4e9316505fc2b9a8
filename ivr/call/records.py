"""Write-behind call records: sessions report, one writer task persists the call rows in order.

A call never waits on SQL. `CallRecordWriter` queues each report (call started, answered, queued,
trace entries, ended) and one task applies them to the `CallStore` in arrival order, batching
trace entries of the same call. `flush()` waits until everything queued so far is written
(tests and shutdown use it). A failing write is logged and dropped with its call id; it never
reaches the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr.engine.commands import TraceEntry
from ivr.store import CallRowId, CallStore

log = logging.getLogger(__name__)

Op = Callable[[], Awaitable[None]]


@dataclass
class _Trace:
    node: str
    kind: str
    detail: dict[str, object]
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


class CallRecordWriter:
    """The `CallRecords` port of a call session (`ivr.call.deps`), written to a `CallStore`.

    It writes call rows and traces only; audio recordings are `ivr.call.recording`."""

    def __init__(self, store: CallStore) -> None:
        self._store = store
        self._ops: asyncio.Queue[Op | None] = asyncio.Queue()
        self._ids: dict[str, CallRowId] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._writer(), name="call-record-writer")

    async def aclose(self) -> None:
        await self.flush()
        self._ops.put_nowait(None)
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def flush(self) -> None:
        done = asyncio.get_running_loop().create_future()

        async def mark() -> None:
            done.set_result(None)

        self._ops.put_nowait(mark)
        await done

    def call_id(self, key: str) -> str | None:
        return self._ids.get(key)

    async def _writer(self) -> None:
        while (op := await self._ops.get()) is not None:
            try:
                await op()
            except Exception:
                log.exception("call record write failed")

    # ------------------------------------------------------------------ CallRecords

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
        async def op() -> None:
            self._ids[key] = await self._store.create_call(
                channel_id=channel_id,
                caller=caller,
                dialed=dialed,
                language=language,
                flow=flow,
                call_id=call_id,
            )

        self._ops.put_nowait(op)

    def answered(self, key: str) -> None:
        self._ops.put_nowait(lambda: self._with_id(key, self._store.mark_answered))

    def queued(self, key: str, queue: str, priority: str) -> None:
        self._ops.put_nowait(
            lambda: self._with_id(key, lambda cid: self._store.set_queue(cid, queue, priority))
        )

    def trace(self, key: str, entries: Iterable[TraceEntry]) -> None:
        rows = [_Trace(e.node, e.kind, {"flow": e.flow, **dict(e.detail)}) for e in entries]
        self._ops.put_nowait(
            lambda: self._with_id(key, lambda cid: self._store.append_trace(cid, rows))
        )

    def call_ended(self, key: str, outcome: str, cause: str | None) -> None:
        async def op() -> None:
            cid = self._ids.pop(key, None)
            if cid is not None:
                await self._store.close_call(cid, outcome, cause)

        self._ops.put_nowait(op)

    async def _with_id(self, key: str, fn: Callable[[CallRowId], Awaitable[None]]) -> None:
        cid = self._ids.get(key)
        if cid is None:
            log.warning("no call row for key=%s (start not recorded)", key)
            return
        await fn(cid)
