"""Overdue follow-ups escalate: first a wallboard alert, then to the supervisors.

`Escalator.run_once()` looks at every unfinished item past its due time (on the injected
clock): escalation level 0 -> alert `followup_overdue` and level 1; level 1 and overdue for the
kind's `escalate_after_min` -> alert `followup_escalated` (the supervisors' queue of work) and
level 2. Each step appends a history row. `start()` runs a pass every `interval_s` of clock
time; `aclose()` stops it within a bounded wait.

Rules: a pass never raises (a store outage is logged once when it starts and once when it
ends, `ivr.outage`, and the next pass retries); levels only go up, so a restart never alerts
twice for the same step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from ivr.clock import Clock
from ivr.errors import IvrError
from ivr.followups.promises import Promises
from ivr.outage import Outage

log = logging.getLogger(__name__)

INTERVAL_S = 30.0  # clock seconds between passes
STOP_TIMEOUT_S = 2.0


class Escalator:
    def __init__(self, promises: Promises, clock: Clock, *, interval_s: float = INTERVAL_S) -> None:
        self._p, self._clock, self._interval_s = promises, clock, interval_s
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="followup-escalator")

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=STOP_TIMEOUT_S)
            if not done:
                self._task.cancel()

    async def _forever(self) -> None:
        outage = Outage("follow-up escalation")
        while not self._stop.is_set():
            try:
                await self.run_once()
                outage.ok()
            except (SQLAlchemyError, OSError, IvrError) as exc:
                outage.failed(exc)
            pause_s = outage.pause_s(self._clock.wall_seconds(self._interval_s))
            with contextlib.suppress(TimeoutError):  # a swallowed cancel: `_stop` ends it
                async with asyncio.timeout(pause_s):
                    await self._stop.wait()

    async def run_once(self) -> list[int]:
        """One pass; the ids of the items escalated by it."""
        store = self._p.store
        now = store.now()  # the injected clock (the app passes `clock.now`)
        stepped: list[int] = []
        for item in await store.search(overdue=True, limit=1000):
            late_min = int((now - item.due_at) / timedelta(minutes=1))
            if item.escalation == 0:
                why = f"not done {late_min} min after its due time"
                item = await store.note(item.id, actor="system", action="overdue", why=why,
                                        escalation=1)  # fmt: skip
                await self._p.announce(item, "followup_overdue")
                stepped.append(item.id)
            after = self._p.policy.escalate_after_min(item.kind, item.reason)
            if item.escalation == 1 and now - item.due_at >= timedelta(minutes=after):
                why = f"overdue {late_min} min (limit {after} min): escalated to supervisors"
                item = await store.note(item.id, actor="system", action="escalated", why=why,
                                        escalation=2)  # fmt: skip
                await self._p.announce(item, "followup_escalated")
                stepped.append(item.id)
        return stepped
