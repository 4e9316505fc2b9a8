"""How a background loop reports an outage of what it reads: one warning when it starts, one
line when it ends, and a growing pause in between (no traceback floods).

    outage = Outage("queue router")
    try:
        await work()
        outage.ok()
    except QueueStoreError as exc:
        outage.failed(exc)
    pause = outage.pause_s(normal_s)

Used by every background loop that reads Redis or SQL (queue router, announcements, agent
feed, Redis health, outbound dialer, flow-version poll, follow-up escalation).

Rules: `failed` logs a warning the first time only (the error's type and the first line of its
message: one line, never a traceback, never an SQL statement); the failures after it are
counted, not logged; `ok` after failures logs one info line with the count and the duration.
`pause_s` doubles from `normal_s` up to `MAX_PAUSE_S` while failing (never below `normal_s`).
Pure bookkeeping: no I/O besides the log, no asyncio.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

MAX_PAUSE_S = 5.0


def one_line(exc: BaseException) -> str:
    """`Class: first line of the message` (an SQLAlchemy error's later lines carry the SQL)."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines and lines[0] else type(exc).__name__


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
            log.warning("%s: %s; retrying with backoff", self.name, one_line(exc))
        self.failures += 1

    def ok(self) -> None:
        if self.failures == 0:
            return
        lasted = time.monotonic() - (self._since or time.monotonic())
        log.info("%s: recovered after %d failures in %.1f s", self.name, self.failures, lasted)
        self.failures = 0
        self._since = None

    def pause_s(self, normal_s: float) -> float:
        """The pause before the next try: `normal_s`, doubled per failure while failing (up to
        `max_pause_s`, never shorter than `normal_s`: a slow loop is not sped up by an outage)."""
        if self.failures == 0:
            return normal_s
        grown = max(normal_s, 0.05) * 2.0 ** min(self.failures, 16)
        return max(normal_s, min(self._max_pause_s, grown))
