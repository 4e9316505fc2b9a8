"""Call admission: how many new calls are set up at once; the others keep ringing meanwhile.

Why: a burst (a market opening, a trading-software outage) brings hundreds of calls within a
second. Answering them all at once puts every setup (answer, caller lookup, first prompt, their
records) in one line with the key presses of the callers already in the menus, so everyone's
menu answers late: measured p99 0.5-0.8 s from a key to the next prompt with 1,000 calls arriving
together. Admitting a few setups at a time keeps the menus crisp; a call not yet admitted is
not answered, so its caller hears ringing a little longer (docs/deploy.md, "Bursts of calls").
Telephony switches have the same knob: FreeSWITCH's `sessions-per-second`, Asterisk's `maxload`.

Rules:
- At most `limit` setups run at once (setting `calls.setup_concurrency`); a setup is the session's
  start up to the first commands sent (answer, first prompt), never the call's whole length.
- Calls given `first=True` are admitted before every waiting call without it; each kind in
  arrival order. The app passes `first` for calls already answered (an outbound leg, a call
  adopted after a restart: their callers would hear silence) and for the emergency line.
- A waiter cancelled (the call's task ended) leaves no slot taken.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Admission:
    """A bounded, two-class FIFO gate for call setups (see the module docstring)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.busy = 0  # setups running
        self._first: deque[asyncio.Future[None]] = deque()
        self._rest: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """Calls ringing until a setup slot frees."""
        return sum(not f.done() for f in (*self._first, *self._rest))

    @asynccontextmanager
    async def admitted(self, *, first: bool = False) -> AsyncIterator[None]:
        await self._acquire(first)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, first: bool) -> None:
        if self.busy < self.limit and not self._first and not (self._rest and not first):
            self.busy += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._first if first else self._rest).append(waiter)
        try:
            await waiter  # the slot is handed over with the result (busy already counts it)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # granted as it was cancelled: pass the slot on
            else:
                self._discard(waiter)
            raise

    def _discard(self, waiter: asyncio.Future[None]) -> None:
        for line in (self._first, self._rest):
            if waiter in line:
                line.remove(waiter)

    def _release(self) -> None:
        self.busy -= 1
        for line in (self._first, self._rest):
            while line:
                waiter = line.popleft()
                if not waiter.done():
                    self.busy += 1
                    waiter.set_result(None)
                    return
