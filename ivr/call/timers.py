"""Work a call starts that answers later through its mailbox: the engine's timers and lookups.

Rules:
- A timer is a task that sleeps on the clock (sped up by a sandbox clock) and then posts
  `TimerFired(name)`; starting a timer of the same name replaces it. Timers about back-office
  latency (`WALL_TIME_TIMERS`) sleep in wall time whatever the clock.
- A lookup runs under `LOOKUP_TIMEOUT_S` (wall seconds); a timeout or any failure of the
  provider becomes the result `error`, so the engine always gets a `LookupResult`. Lookup
  parameters are never logged (PINs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ivr.clock import Clock
from ivr.engine import commands as cmd
from ivr.engine import events as ev
from ivr.providers import LookupProvider

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 10.0  # wall seconds: a back office is as slow as it is, whatever the clock
# Timers about back-office latency, not about the caller: never sped up by a sandbox clock.
WALL_TIME_TIMERS = frozenset({"lookup"})


class CallTimers:
    """The engine's named timers of one call; each fires `TimerFired(name)` through `post`."""

    def __init__(self, clock: Clock, post: Callable[[ev.Event], None], key: str) -> None:
        self._clock, self._post, self._key = clock, post, key
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, name: str, seconds: float) -> None:
        self.cancel(name)
        self._tasks[name] = asyncio.create_task(
            self._fire(name, seconds), name=f"timer-{self._key}-{name}"
        )

    async def _fire(self, name: str, seconds: float) -> None:
        if name in WALL_TIME_TIMERS:
            await asyncio.sleep(seconds)
        else:
            await self._clock.sleep(seconds)
        self._tasks.pop(name, None)
        self._post(ev.TimerFired(ev.TimerName(name)))

    def cancel(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()


async def lookup_result(provider: LookupProvider, command: cmd.Lookup) -> ev.LookupResult:
    """Run one lookup, bounded; any failure is the result `error`."""
    try:
        async with asyncio.timeout(LOOKUP_TIMEOUT_S):
            result, data = await provider.lookup(command.provider, command.params)
    except TimeoutError:
        log.warning("lookup provider=%s timed out", command.provider)
        result, data = "error", {}
    except Exception:
        log.exception("lookup provider=%s failed", command.provider)
        result, data = "error", {}
    return ev.LookupResult(command.request_id, command.provider, result, data)
