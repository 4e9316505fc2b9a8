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
- A waiter cancelled (the call's task ended) leaves no slot taken (`ivr.ari.gate.PriorityGate`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ivr.ari.gate import PriorityGate


class Admission:
    """How many new calls are set up at once (see the module docstring)."""

    def __init__(self, limit: int) -> None:
        self._gate = PriorityGate(limit)

    @property
    def limit(self) -> int:
        return self._gate.limit

    @property
    def busy(self) -> int:
        """Setups running."""
        return self._gate.busy

    @property
    def waiting(self) -> int:
        """Calls ringing until a setup slot frees."""
        return self._gate.waiting

    @asynccontextmanager
    async def admitted(self, *, first: bool = False) -> AsyncIterator[None]:
        async with self._gate.held(urgent=first):
            yield
