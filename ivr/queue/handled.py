"""Who answered a call: read back from the queue store's event stream (newest first).

`answered_by(store, call_id)` finds the newest `call_answered` entry of the call on the stream
that every app process writes (`call_answered`: call_id, queue, agent_id) and answers
(agent_id, queue), or None when no agent answered it within the stream's reach (its
`events_maxlen` newest entries). The agent API uses it to bind a disposition to the agent's
own calls. Store errors propagate as `StoreUnavailable` (503).
"""

from __future__ import annotations

from collections.abc import Mapping

from redis.exceptions import RedisError

from queueing import rows
from queueing.errors import StoreUnavailable
from queueing.store import RedisQueueStore

PAGE = 1000


def _fields(raw: Mapping[bytes | str, bytes | str] | None) -> dict[str, str]:
    return {str(rows.text(k)): str(rows.text(v)) for k, v in (raw or {}).items()}


async def answered_by(store: RedisQueueStore, call_id: str) -> tuple[str, str] | None:
    """(agent_id, queue) of the agent who answered `call_id`, or None."""
    newest, seen = "+", 0
    while seen < store.events_maxlen:
        try:
            entries = await store.client.xrevrange(
                store.key("events"), max=newest, min="-", count=PAGE
            )
        except RedisError as exc:
            raise StoreUnavailable(f"queue store: events unreadable: {exc}") from exc
        page = [(str(rows.text(e)), _fields(raw)) for e, raw in entries or []]
        for _entry_id, fields in page:
            if fields.get("type") == "call_answered" and fields.get("call_id") == call_id:
                return fields.get("agent_id", ""), fields.get("queue", "")
        if len(page) < PAGE:
            return None
        newest, seen = f"({page[-1][0]}", seen + len(page)
    return None
