"""Event routing: every ARI event of the app to the call that owns it.

The router is built before the parts of a call (they bind ids in it) and started once they
exist: `start(events, deps, queue)` consumes the events websocket from then on.

Rules:
- Every ARI event goes to the `Dispatcher` (one ordered lane per call). An event no call owns
  that is a `StasisStart` opens a new call: a `CallSession` keyed by the caller's channel id
  (the call key), with its own task and lane. Related channels, bridges and playbacks are bound
  to their call (`dispatcher.bind`) before they are created, so their events reach its lane and
  never open a call (docs/asterisk-behaviour.md, "Calls and events").
- In a lane, an event the queue owns (agent legs, waiting announcements, a waiting caller's
  exit keys) goes to the queue; any other event goes to the session.
- A lane that overflows ends its call safely (cause `overflow`); when a call's task ends, its
  session is forgotten and its lane finished.
- After a websocket reconnect, calls are resynced (docs/asterisk-behaviour.md, "Losing the
  events websocket": nothing is replayed): survivors go on, the others end with cause `lost`.
- `ApplicationReplaced` or a refused websocket stops consumption and clears `healthy`
  (`/healthz` answers 503): another process owns the app name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from ivr import ari
from ivr.ari import AriAppReplaced, AriError, AriEvents, AriRest, Dispatcher
from ivr.call.deps import SessionDeps
from ivr.call.session import CallSession

log = logging.getLogger(__name__)

STOP_WAIT_S = 5.0


class QueueEvents(Protocol):
    """The queue's share of a call's events (`ivr.queue.runtime.RedisQueueHandoff`)."""

    def owns(self, event: ari.AriEvent) -> bool: ...

    async def handle(self, event: ari.AriEvent) -> None: ...


class CallRouter:
    """Opens a `CallSession` per incoming call and routes each event to its call."""

    def __init__(self, rest: AriRest, app_name: str) -> None:
        self._rest = rest
        self._app_name = app_name
        self.sessions: dict[str, CallSession] = {}  # call key -> session, while the call runs
        self.dispatcher = Dispatcher(self._lane, on_overflow=self._overflow)
        self.healthy = True  # False once events stopped for good (app replaced, refused)
        self._deps: SessionDeps | None = None
        self._queue: QueueEvents | None = None
        self._connections = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, events: AriEvents, deps: SessionDeps, queue: QueueEvents | None) -> None:
        """Consume `events` from now on (built with `on_connected=router.on_connected`); new
        calls get `deps`; `queue` takes the events it owns."""
        self._deps, self._queue = deps, queue
        self._spawn(self._consume(events), "ari-events")

    async def aclose(self) -> None:
        """Cancel the consumption and every call (their clean-up runs), then the lanes."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_WAIT_S)
        await self.dispatcher.aclose()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _consume(self, events: AriEvents) -> None:
        try:
            await events.run(self.on_event)
        except AriAppReplaced:
            self.healthy = False
            log.error("ARI app replaced by another process: no longer consuming events")
        except AriError as exc:
            self.healthy = False
            log.error("ARI events stopped: %s", exc)

    # ------------------------------------------------------------------ events

    def on_event(self, event: ari.AriEvent) -> None:
        key = self.dispatcher.dispatch(event)
        if key is None and isinstance(event, ari.StasisStart):
            self._open_call(event)

    def _open_call(self, event: ari.StasisStart) -> None:
        assert self._deps is not None, "CallRouter.start() not called"
        session = CallSession(self._deps, event.channel)
        key = session.key
        self.sessions[key] = session
        self.dispatcher.open_call(key)
        task = self._spawn(session.run(), f"call-{key}")
        task.add_done_callback(lambda _t: self._call_done(key))
        self.dispatcher.dispatch(event, key)

    def _call_done(self, key: str) -> None:
        self.sessions.pop(key, None)
        self.dispatcher.finish(key)

    async def _lane(self, key: str, event: ari.AriEvent) -> None:
        if self._queue is not None and self._queue.owns(event):
            await self._queue.handle(event)
            return
        session = self.sessions.get(key)
        if session is not None:
            session.deliver(event)

    async def _overflow(self, key: str) -> None:
        session = self.sessions.get(key)
        if session is not None:
            session.channel_lost("overflow")

    async def on_connected(self) -> None:
        """The events websocket (re)connected: after a reconnect, resync the calls."""
        self._connections += 1
        if self._connections <= 1:
            return
        try:
            _alive, gone = await ari.resync(
                self._rest, self._app_name, [ari.ChannelId(k) for k in self.sessions]
            )
        except AriError as exc:
            log.error("resync failed: %s", exc)
            return
        for key in gone:
            session = self.sessions.get(key)
            if session is not None:
                session.channel_lost("lost")
