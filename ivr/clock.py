"""Clocks for the I/O shell. The pure core never reads time; the shell asks a `Clock`.

`Clock(speed=1.0)` is real time. The sandbox switch and the tests run the app with the same
`speed` as the switch (e.g. 50: a 5 s no-input timer fires after 100 ms of wall time), so timers,
prompts and scenario waits stay consistent while tests take milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

_EPOCH_ANCHOR = time.time()
_MONO_ANCHOR = time.monotonic()


@dataclass(frozen=True, slots=True)
class Clock:
    speed: float = 1.0
    timezone: str = "Asia/Shanghai"
    fixed_now: datetime | None = None  # tests: the wall time the flows see (business hours)

    def now_s(self) -> float:
        """Epoch seconds in clock time: real time at speed 1; runs `speed` times faster
        from the process's first reading otherwise (queue deadlines, waits, wrap-up)."""
        if self.speed == 1.0:
            return time.time()
        return _EPOCH_ANCHOR + (time.monotonic() - _MONO_ANCHOR) * self.speed

    def monotonic(self) -> float:
        """Seconds in clock time (wall seconds x speed), for durations."""
        return time.monotonic() * self.speed

    def now(self) -> datetime:
        """Local wall time of the hotline (Asia/Shanghai by default), timezone-aware."""
        if self.fixed_now is not None:
            return self.fixed_now
        return datetime.now(ZoneInfo(self.timezone))

    def wall_seconds(self, clock_seconds: float) -> float:
        return clock_seconds / self.speed

    async def sleep(self, clock_seconds: float) -> None:
        await asyncio.sleep(max(0.0, clock_seconds) / self.speed)
