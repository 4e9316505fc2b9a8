"""Supervisor alerts on the queue store's event stream.

- `post_alert` puts one alert (`type=alert`) on the stream that supervisors read with
  `store.events(after=...)`.
- `AlertingProviders` wraps the lookup providers: when a wrong PIN locks an account or a
  calling number (`verify_account` answered `locked` with `pin_lock_new`), a `pin_locked` alert
  names the scope, the masked account and the caller (`pin_lock_new` itself is taken out of
  the data the flow sees).
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
from ivr.providers import LookupData, LookupProvider, LookupProviders
from queueing.errors import QueueStoreError, StoreUnavailable
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


class _AlertingProvider:
    def __init__(
        self, inner: LookupProvider, store: RedisQueueStore, clock: Clock, caller: str
    ) -> None:
        self._inner, self._store, self._clock = inner, store, clock
        self._caller = caller

    async def lookup(self, name: str, params: Mapping[str, str]) -> tuple[str, LookupData]:
        result, data = await self._inner.lookup(name, params)
        if name == "verify_account" and "pin_lock_new" in data:
            data = {k: v for k, v in data.items() if k != "pin_lock_new"}
            await self._pin_locked(str(data.get("pin_lock", "")), str(data["account_masked"]))
        return result, data

    async def _pin_locked(self, scope: str, account_masked: str) -> None:
        fields = {"scope": scope, "account": account_masked, "caller": self._caller}
        try:
            await post_alert(self._store, "pin_locked", self._clock.now_s(), fields)
        except QueueStoreError as exc:  # the lock holds in SQL; the alert is best effort
            log.error("supervisor alert not posted: %s", exc)


class AlertingProviders:
    """Lookup providers that alert supervisors when a wrong PIN locks an account or a calling
    number (urgent follow-ups alert through `ivr.followups`)."""

    def __init__(self, inner: LookupProviders, store: RedisQueueStore, clock: Clock) -> None:
        self._inner, self._store, self._clock = inner, store, clock

    def for_call(self, call_id: str, caller: str = "") -> LookupProvider:
        inner = self._inner.for_call(call_id, caller)
        return _AlertingProvider(inner, self._store, self._clock, caller)


def supervisor_alerts(
    store: RedisQueueStore, clock: Clock
) -> Callable[[str, Mapping[str, str]], Awaitable[None]]:
    """`alert(kind, fields)` for the call room: `post_alert` on `store` at clock time."""

    async def alert(kind: str, fields: Mapping[str, str]) -> None:
        await post_alert(store, kind, clock.now_s(), fields)

    return alert
