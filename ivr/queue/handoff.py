"""The queue hand-off port: how a call session gives a caller to the queueing layer.

The session calls `enqueue(QueuedCall)` when the engine asks for `Enqueue`, and `cancel(key)`
when the caller leaves (hang-up, `Dequeue`). The hand-off reports back through
`QueuedCall.deliver(QueueOutcome)` (answered, timeout, abandoned, overflow), which lands in the
call's own ordered mailbox. `HoldingHandoff` is the stand-in used when no queueing backend is
wired: the caller hears music on hold (or a holding prompt) until `max_wait_s`, then `timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ivr.ari import AriError, AriRest
from ivr.clock import Clock
from ivr.engine.commands import Enqueue
from ivr.engine.events import QueueOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueuedCall:
    key: str  # the call key (the caller's channel id)
    channel_id: str
    request: Enqueue
    deliver: Callable[[QueueOutcome], None]
    bridge_id: str | None = None  # the call's own (recorded) bridge: the agent joins it


class QueueHandoff(Protocol):
    async def enqueue(self, call: QueuedCall) -> None: ...

    async def cancel(self, key: str, reason: str) -> None: ...

    async def aclose(self) -> None: ...


class HoldingHandoff:
    """No queueing backend: music on hold until max wait, then `timeout`."""

    def __init__(self, rest: AriRest, clock: Clock) -> None:
        self._rest = rest
        self._clock = clock
        self._waiting: dict[str, asyncio.Task[None]] = {}

    @property
    def waiting(self) -> frozenset[str]:
        return frozenset(self._waiting)

    async def enqueue(self, call: QueuedCall) -> None:
        with contextlib.suppress(AriError):
            await self._rest.start_moh(call.channel_id)  # type: ignore[arg-type]
        task = asyncio.create_task(self._hold(call), name=f"hold-{call.key}")
        self._waiting[call.key] = task
        task.add_done_callback(lambda _t: self._waiting.pop(call.key, None))

    async def _hold(self, call: QueuedCall) -> None:
        await self._clock.sleep(call.request.max_wait_s)
        log.info("queue=%s max wait reached with no queueing backend", call.request.queue)
        call.deliver(QueueOutcome("timeout", call.request.queue))

    async def cancel(self, key: str, reason: str) -> None:
        task = self._waiting.pop(key, None)
        if task is not None:
            task.cancel()
            log.info("left holding reason=%s", reason)

    async def aclose(self) -> None:
        for task in list(self._waiting.values()):
            task.cancel()
        self._waiting.clear()
