"""How a background loop reports an outage of what it reads: one warning when it starts, one
line when it ends, and a growing pause in between (no traceback floods).

    outage = Outage("queue router")
    try:
        await work()
        outage.ok()
    except QueueStoreError as exc:
        outage.failed(exc)
    pause = outage.pause_s(normal_s)

Rules: `failed` logs a warning the first time only (the error's type and message, never a
traceback); the failures after it are counted, not logged; `ok` after failures logs one info
line with the count and the duration. `pause_s` doubles from `normal_s` up to `MAX_PAUSE_S`
while failing. Pure bookkeeping: no I/O besides the log, no asyncio.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

MAX_PAUSE_S = 5.0


class Outage:
    """The outage state of one background loop."""

    def __init__(self, name: str, *, max_pause_s: float = MAX_PAUSE_S) -> None:
        self.name = name
        self.failures = 0
        self._max_pause_s = max_pause_s
        self._since: float | None = None

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> None:
        if self.failures == 0:
            self._since = time.monotonic()
            log.warning("%s: %s: %s; retrying with backoff", self.name, type(exc).__name__, exc)
        self.failures += 1

    def ok(self) -> None:
        if self.failures == 0:
            return
        lasted = time.monotonic() - (self._since or time.monotonic())
        log.info("%s: recovered after %d failures in %.1f s", self.name, self.failures, lasted)
        self.failures = 0
        self._since = None

    def pause_s(self, normal_s: float) -> float:
        """The pause before the next try: `normal_s`, doubled per failure while failing."""
        if self.failures == 0:
            return normal_s
        return min(self._max_pause_s, max(normal_s, 0.05) * 2.0 ** min(self.failures, 16))
