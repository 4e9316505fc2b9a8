"""A bounded gate with two classes of waiters: the urgent ones go first, each class in order.

Used twice: by the ARI transport (at most `max_connections` REST requests at once; a request
answering a caller's key or speech goes before announcements, music on hold and clean-up) and by
call admission (`ivr.call.admission`: new calls set up a few at a time, the emergency line
first).

Rules:
- At most `limit` holders at once; a waiter is admitted when a holder leaves, urgent waiters
  before every other waiter, each class first come first served.
- A waiter cancelled while waiting takes no slot; one cancelled just as it was granted passes
  the slot on.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PriorityGate:
    """See the module docstring."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.busy = 0  # holders now
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._rest: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not f.done() for f in (*self._urgent, *self._rest))

    @asynccontextmanager
    async def held(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()

    def try_acquire(self, *, urgent: bool = False) -> bool:
        """Take a slot now if one is free and no waiter comes first; False otherwise."""
        if self.busy < self.limit and not self._urgent and not (self._rest and not urgent):
            self.busy += 1
            return True
        return False

    async def acquire(self, *, urgent: bool = False) -> None:
        if self.try_acquire(urgent=urgent):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._rest).append(waiter)
        try:
            await waiter  # the slot is handed over with the result (busy already counts it)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted as it was cancelled: pass the slot on
            else:
                for line in (self._urgent, self._rest):
                    if waiter in line:
                        line.remove(waiter)
            raise

    def release(self) -> None:
        self.busy -= 1
        for line in (self._urgent, self._rest):
            while line:
                waiter = line.popleft()
                if not waiter.done():
                    self.busy += 1
                    waiter.set_result(None)
                    return
