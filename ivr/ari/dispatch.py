"""Per-call ordered event dispatch: one bounded queue and one task per call.

Why: ARI delivers every call's events on one websocket. A handler that awaits (a REST call, a
database write, a slow recognizer) must not delay other calls, and a call's own events must be
handled in arrival order (StasisStart, ChannelStateChange, DTMF, StasisEnd...: see
`docs/asterisk-behaviour.md`, "Calls and events").

Rules:
- The app decides the call key (usually the caller's channel id). `open_call(key)` starts the
  call's lane and binds the key to itself; related ids (agent legs, snoop and external media
  channels, playback or bridge ids) are bound with `bind(other_id, key)`.
- `dispatch(event)` is synchronous and never blocks: it routes on `routing_ids(event)` (first bound
  id wins) and returns the key, or None when no call owns the event (e.g. the StasisStart of a new
  call: the app then opens a call and dispatches again).
- Overflow policy (chosen, since dropping a DTMF silently is worse than ending the call): each lane
  holds at most `queue_size` (default 1000) events. When a call's queue is full, that call's lane
  is closed, its handler task cancelled (its cleanup runs), ERROR is logged with the call key, and
  `on_overflow(key)` runs so the app can hang the call up safely. Other calls are unaffected.
- Handler exceptions are logged with the call key and never end the lane or the reader.
- `idle(key)`: nothing queued and the handler not running, so a caller may hand an event whose
  handling never awaits straight to the call (saving the lane task's turn of the event loop).
- `finish(key)` ends a lane after the events already queued (so a StasisEnd is handled); it may
  be called from the call's own handler. `aclose()` cancels every lane (bounded wait).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ivr.ari.event_models import AriEvent, routing_ids

log = logging.getLogger(__name__)

CallKey = str
Handler = Callable[[CallKey, AriEvent], Awaitable[None]]
OverflowHook = Callable[[CallKey], Awaitable[None]]
LaneContext = Callable[[CallKey], object]  # e.g. `call_key.set`

DEFAULT_QUEUE_SIZE = 1000


class _End:
    """Sentinel: the lane ends after the events queued before it."""


_END = _End()


class _Lane:
    def __init__(self, key: CallKey, queue_size: int) -> None:
        self.key = key
        self.queue: asyncio.Queue[AriEvent | _End] = asyncio.Queue(queue_size)
        self.task: asyncio.Task[None] | None = None
        self.closed = False
        self.busy = False  # the handler is running on one of its events


class Dispatcher:
    """Routes events to per-call lanes; see the module docstring for the rules."""

    def __init__(
        self,
        handler: Handler,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        on_overflow: OverflowHook | None = None,
        lane_context: LaneContext | None = None,
    ) -> None:
        self._handler = handler
        self._queue_size = queue_size
        self._on_overflow = on_overflow
        self._lane_context = lane_context
        self._lanes: dict[CallKey, _Lane] = {}
        self._bindings: dict[str, CallKey] = {}
        self._bound: dict[CallKey, set[str]] = {}  # the ids bound to each call (its lane's end)
        self._background: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ calls and bindings

    def open_call(self, key: CallKey) -> None:
        """Start the lane of call `key` (idempotent) and bind the key to itself."""
        if key in self._lanes:
            return
        lane = _Lane(key, self._queue_size)
        lane.task = asyncio.create_task(self._run_lane(lane), name=f"call-{key}")
        self._lanes[key] = lane
        self.bind(key, key)

    def bind(self, other_id: str, key: CallKey) -> None:
        """Route events about `other_id` (a channel, playback or bridge id) to call `key`."""
        self.unbind(other_id)
        self._bindings[other_id] = key
        self._bound.setdefault(key, set()).add(other_id)

    def unbind(self, other_id: str) -> None:
        key = self._bindings.pop(other_id, None)
        if key is not None:
            self._bound[key].discard(other_id)

    def owner(self, some_id: str) -> CallKey | None:
        return self._bindings.get(some_id)

    @property
    def active_calls(self) -> frozenset[CallKey]:
        return frozenset(self._lanes)

    def finish(self, key: CallKey) -> None:
        """End call `key` after the events already queued; its bindings are dropped then."""
        lane = self._lanes.get(key)
        if lane is None or lane.closed:
            return
        lane.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            lane.queue.put_nowait(_END)  # if full, the lane ends once it has drained

    # ------------------------------------------------------------ dispatch

    def dispatch(self, event: AriEvent, key: CallKey | None = None) -> CallKey | None:
        """Queue `event` on its call's lane (given `key`, or routed); None when unowned."""
        if key is None:
            key = self._route(event)
            if key is None:
                return None
        lane = self._lanes.get(key)
        if lane is None or lane.closed:
            log.debug("call=%s dropping %s: call is not open", key, event.type)
            return None
        try:
            lane.queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflow(lane)
            return None
        return key

    def idle(self, key: CallKey) -> bool:
        """Call `key`'s lane is open with nothing queued and its handler not running: an event
        handed to the call directly now keeps the call's order (the router's fast path)."""
        lane = self._lanes.get(key)
        return lane is not None and not lane.closed and not lane.busy and lane.queue.empty()

    def route(self, event: AriEvent) -> CallKey | None:
        """The call that owns `event` (first bound id of `routing_ids`), or None."""
        return self._route(event)

    def _route(self, event: AriEvent) -> CallKey | None:
        for some_id in routing_ids(event):
            key = self._bindings.get(some_id)
            if key is not None:
                return key
        return None

    def _overflow(self, lane: _Lane) -> None:
        log.error(
            "call=%s event queue full (%d events): ending this call's session",
            lane.key,
            self._queue_size,
        )
        lane.closed = True
        if lane.task is not None:
            lane.task.cancel()
        if self._on_overflow is not None:
            task = asyncio.create_task(self._call_overflow_hook(lane.key))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _call_overflow_hook(self, key: CallKey) -> None:
        assert self._on_overflow is not None
        try:
            await self._on_overflow(key)
        except Exception:
            log.exception("call=%s overflow hook failed", key)

    # ------------------------------------------------------------ lanes

    async def _run_lane(self, lane: _Lane) -> None:
        if self._lane_context is not None:
            self._lane_context(lane.key)
        try:
            while not (lane.closed and lane.queue.empty()):
                item = await lane.queue.get()
                if isinstance(item, _End):
                    break
                lane.busy = True
                try:
                    await self._handle(lane.key, item)
                finally:
                    lane.busy = False
        finally:
            self._forget(lane)

    async def _handle(self, key: CallKey, event: AriEvent) -> None:
        try:
            await self._handler(key, event)
        except Exception:
            log.exception("call=%s handler failed on %s", key, event.type)

    def _forget(self, lane: _Lane) -> None:
        if self._lanes.get(lane.key) is lane:
            del self._lanes[lane.key]
        for some_id in self._bound.pop(lane.key, ()):
            del self._bindings[some_id]

    async def wait_finished(self, key: CallKey, timeout_s: float = 5.0) -> None:
        """Wait (bounded) for call `key`'s lane task to end."""
        lane = self._lanes.get(key)
        if lane is not None and lane.task is not None:
            await asyncio.wait({lane.task}, timeout=timeout_s)

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Cancel every lane and pending hook; wait for them (bounded)."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        tasks += list(self._background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
