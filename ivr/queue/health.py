"""Is the queue store reachable? `RedisHealth` pings Redis in the background and keeps the
answer for `/healthz` and the `ivr_dependency_up{dependency="redis"}` gauge.

Rules: one ping every `interval_s` (wall seconds), each bounded by `PING_TIMEOUT_S`; a failed
or late ping marks Redis down at once, the next good one marks it up again; the change is
logged once each way (`ivr.outage`), never a traceback. `aclose` stops the task within a
bounded wait; a cancel swallowed by the ping's `asyncio.timeout` (3.11) is harmless, the loop
checks its `_stopping` flag.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from redis.exceptions import RedisError

from ivr.outage import Outage
from queueing.store import RedisQueueStore

PING_TIMEOUT_S = 1.0
INTERVAL_S = 1.0
STOP_TIMEOUT_S = 2.0


class RedisHealth:
    """`up` is the answer of the last ping (True until the first one fails)."""

    def __init__(
        self,
        store: RedisQueueStore,
        *,
        changed: Callable[[bool], None] | None = None,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._store = store
        self._changed = changed
        self._interval_s = interval_s
        self._outage = Outage("redis")
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.up = True

    def start(self) -> None:
        self._set(True)
        self._task = asyncio.create_task(self._watch(), name="redis-health")

    async def aclose(self) -> None:
        self._stopping.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)
            if not done:
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)

    async def check(self) -> bool:
        """Ping once now; update `up`."""
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):
                await self._store.client.ping()
        except (RedisError, OSError, TimeoutError) as exc:
            self._outage.failed(exc if not isinstance(exc, TimeoutError) else TimeoutError("ping"))
            self._set(False)
        else:
            self._outage.ok()
            self._set(True)
        return self.up

    def _set(self, up: bool) -> None:
        self.up = up
        if self._changed is not None:
            self._changed(up)

    async def _watch(self) -> None:
        while not self._stopping.is_set():
            await self.check()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._stopping.wait()
