"""Supervisor alerts on the queue store's event stream.

- `post_alert` puts one alert (`type=alert`) on the stream that supervisors read with
  `store.events(after=...)`.
- `supervisor_alerts` gives the other rooms an `alert(kind, fields)` callable on it (the call
  room's recording gaps, the follow-ups room's urgent and overdue items: `ivr.followups`).

Rules: alerts carry masked values only (the callers pass them so); an alert is best effort: a
failure to post it is logged and never undoes the booking it reports.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from redis.exceptions import RedisError

from ivr.clock import Clock
from queueing.errors import StoreUnavailable
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)


async def post_alert(
    store: RedisQueueStore, kind: str, now_s: float, fields: Mapping[str, str]
) -> str:
    """Put a supervisor alert on the store's event stream; its entry id.

    Entry fields: `type=alert`, `kind`, `at`, then `fields` (no secrets: callers pass masked
    values only). Supervisors read it with `store.events(after=...)`.
    """
    entry: dict[Any, Any] = {"type": "alert", "kind": kind, "at": repr(float(now_s))}
    entry.update(fields)
    try:
        event_id = await store.client.xadd(
            store.key("events"), entry, maxlen=store.events_maxlen, approximate=True
        )
    except RedisError as exc:
        raise StoreUnavailable(f"queue store: alert failed: {exc}") from exc
    log.warning("supervisor alert kind=%s", kind)
    return str(event_id)


def supervisor_alerts(
    store: RedisQueueStore, clock: Clock
) -> Callable[[str, Mapping[str, str]], Awaitable[None]]:
    """`alert(kind, fields)` for the call room: `post_alert` on `store` at clock time."""

    async def alert(kind: str, fields: Mapping[str, str]) -> None:
        await post_alert(store, kind, clock.now_s(), fields)

    return alert
