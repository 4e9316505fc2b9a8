"""The queue hand-off port: how a call session gives a caller to the queueing layer.

The session calls `enqueue(QueuedCall)` when the engine asks for `Enqueue`, and `cancel(key)`
when the caller leaves (hang-up, `Dequeue`). The hand-off reports back through
`QueuedCall.deliver(QueueOutcome)` (answered, timeout, abandoned, overflow), which lands in the
call's own ordered mailbox. The implementation is `ivr.queue.runtime.RedisQueueHandoff`.

An emergency caller who did not verify (`verified` attribute not `yes`) is queued by the
`security.unverified_emergency` policy (`unverified_emergency`): `desk` keeps the emergency
priority (a client in trouble may have forgotten the PIN; the agent sees `verified: no` and the
reason), `normal` queues them at normal priority. Either way they are never marked verified.

When the queue store is down, `enqueue` raises `queueing.errors.StoreUnavailable`; the session
then delivers `store_down_outcome` itself: the queue node's `on_overflow` path, else its
`on_timeout` path (the flow's own fallback: callback booking, message, order capture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from ivr.engine.commands import Enqueue
from ivr.engine.events import FlowQueueResult, QueueOutcome
from ivr.engine.model import FlowSet, QueueNode
from ivr.engine.state import CallState


def unverified_emergency(request: Enqueue, policy: str) -> Enqueue:
    """`request` as the unverified-emergency policy queues it (pure; see the module doc)."""
    attributes = dict(request.attributes)
    verified = attributes.get("verified", "").strip().lower() == "yes"
    if request.priority != "emergency" or verified:
        return request
    attributes["verified"] = "no"
    attributes.setdefault("reason", "not_verified")
    priority = "normal" if policy == "normal" else request.priority
    return replace(request, priority=priority, attributes=attributes)


@dataclass(frozen=True, slots=True)
class QueuedCall:
    key: str  # the call key (the caller's channel id)
    channel_id: str
    request: Enqueue
    deliver: Callable[[QueueOutcome], None]
    enqueued_at_s: float | None = None  # None: now; a transferred call keeps its first wait


class QueueHandoff(Protocol):
    async def enqueue(self, call: QueuedCall) -> None: ...

    async def rejoin(self, call: QueuedCall) -> None: ...  # adopted: its entry kept its place

    async def cancel(self, key: str, reason: str) -> None: ...

    async def aclose(self) -> None: ...


def store_down_outcome(flows: FlowSet, state: CallState | None) -> FlowQueueResult | None:
    """The outcome that takes the queue node `state` is in to the flow's own fallback when
    the store is down: "overflow" (its `on_overflow`), else "timeout"; None if it has neither."""
    if state is None:
        return None
    node = flows.flows[state.flow].nodes.get(state.node)
    if not isinstance(node, QueueNode):
        return None
    if node.on_overflow is not None:
        return "overflow"
    return "timeout" if node.on_timeout is not None else None
