"""The queue hand-off port: how a call session gives a caller to the queueing layer.

The session calls `enqueue(QueuedCall)` when the engine asks for `Enqueue`, and `cancel(key)`
when the caller leaves (hang-up, `Dequeue`). The hand-off reports back through
`QueuedCall.deliver(QueueOutcome)` (answered, timeout, abandoned, overflow), which lands in the
call's own ordered mailbox. The implementation is `ivr.queue.runtime.RedisQueueHandoff`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ivr.engine.commands import Enqueue
from ivr.engine.events import QueueOutcome


@dataclass(frozen=True, slots=True)
class QueuedCall:
    key: str  # the call key (the caller's channel id)
    channel_id: str
    request: Enqueue
    deliver: Callable[[QueueOutcome], None]


class QueueHandoff(Protocol):
    async def enqueue(self, call: QueuedCall) -> None: ...

    async def cancel(self, key: str, reason: str) -> None: ...

    async def aclose(self) -> None: ...
