"""Event routing: every ARI event of the app to the call that owns it.

The router is built before the parts of a call (they bind ids in it) and started once they
exist: `start(events, deps, queue)` consumes the events websocket from then on.

Rules:
- Every ARI event goes to the `Dispatcher` (one ordered lane per call). An event no call owns
  that is a `StasisStart` opens a new call: a `CallSession` keyed by the caller's channel id
  (the call key), with its own task and lane. Related channels, bridges and playbacks are bound
  to their call (`dispatcher.bind`) before they are created, so their events reach its lane and
  never open a call (docs/asterisk-behaviour.md, "Calls and events").
- Every leg the app originates is tagged (`leg_tag`): appArgs `agent,<key>`, `callback,<key>`,
  `snoop,<key>`, `followup,<key>`, `monitor,<key>`, `consult,<key>` name its role and owning
  call (a follow-up's legs are bound to its lane before they are dialled; the lane's events go
  to `followups`); `outbound,<id>,<attempt>` is an automated call of the outbound dialer: once
  answered it is a call of its own (a `CallSession` running the dialer's flow), and the end of
  one never answered (an event no call owns) goes to the dialer; an external media channel (ARI
  gives it no appArgs) is named `<key>-asr<n>-media`. Any other tagged leg NEVER opens a call:
  its StasisStart goes to its owner's lane (agent and callback legs to the queue, even after
  the caller's own session ended: a callback), and a tagged leg without an owner is hung up and
  logged.
- A call's lane stays open while the queue holds the call (a callback kept in line after its
  requester hung up); it is finished once neither the session nor the queue holds it.
- In a lane, an event the queue owns (agent legs, waiting announcements, a waiting caller's
  exit keys) goes to the queue; any other event goes to the session. An event for the session
  of a call whose lane is idle (nothing queued, nothing being handled) goes to the session at
  once, without the lane task's turn: the same order, one loop turn sooner.
- A lane that overflows ends its call safely (cause `overflow`); when a call's task ends, its
  session is forgotten and its lane finished.
- After a websocket reconnect, calls are resynced (docs/asterisk-behaviour.md, "Losing the
  events websocket": nothing is replayed): survivors go on, the others end with cause `lost`.
  After every (re)connect, before any event of the socket, the `connected` hooks run: the
  adoption of calls that outlived a previous process (`adopt`, `ivr.call.adoption`).
- `ApplicationReplaced` or a refused websocket stops consumption and clears `healthy`
  (`/healthz` answers 503): another process owns the app name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from ivr import ari
from ivr.ari import AriAppReplaced, AriError, AriEvents, AriRest, Dispatcher
from ivr.call.deps import SessionDeps
from ivr.call.session import CallSession
from ivr.outbound.dialer import OutboundStart
from ivr.queue.monitor import QueueEvents

log = logging.getLogger(__name__)

STOP_WAIT_S = 5.0
LEG_ROLES = frozenset(
    {"agent", "callback", "snoop", "outbound", "followup", "monitor", "consult"}
)  # appArgs roles of the legs we originate
QUEUE_ROLES = frozenset({"agent", "callback"})  # legs the queue hand-off owns
MEDIA_ID = re.compile(r"(?P<key>.+)-asr\d+-media")  # speech media channels (no appArgs in ARI)


def leg_tag(event: ari.StasisStart) -> tuple[str, str] | None:
    """(role, owning call key) of a leg the app originated; None for an inbound call."""
    if len(event.args) >= 2 and event.args[0] in LEG_ROLES:
        return event.args[0], ",".join(event.args[1:])
    media = MEDIA_ID.fullmatch(event.channel.id)
    return ("media", media["key"]) if media else None


class OutboundLegs(Protocol):
    """The outbound dialer's share of the events (`ivr.outbound.dialer.OutboundDialer`)."""

    def answered(self, leg: str) -> OutboundStart | None: ...

    def on_unowned(self, event: ari.AriEvent) -> None: ...


class LaneOwner(Protocol):
    """Calls the app places itself (`ivr.call.followup_call.FollowupCalls`): their lanes."""

    def holds(self, key: str) -> bool: ...

    async def handle(self, key: str, event: ari.AriEvent) -> None: ...


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
        self.outbound: OutboundLegs | None = None  # set by the app once the dialer runs
        self.followups: LaneOwner | None = None  # agent-first callbacks' lanes (set by the app)
        self._connections = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.opened: list[Callable[[str], None]] = []  # told each new call's key (ownership)
        self.closed: list[Callable[[str], None]] = []  # told each call whose lane ends
        # run after each (re)connect, before any event of the socket (True: a reconnect)
        self.connected: list[Callable[[bool], Awaitable[None]]] = []

    @property
    def deps(self) -> SessionDeps:
        assert self._deps is not None, "CallRouter.start() not called"
        return self._deps

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
        owner = self.dispatcher.route(event)
        if owner is not None and self._deliver_now(owner, event):
            return
        key = self.dispatcher.dispatch(event, owner) if owner is not None else None
        if key is not None:
            return
        if not isinstance(event, ari.StasisStart):
            if self.outbound is not None:
                self.outbound.on_unowned(event)  # an unanswered outbound leg ending
            return
        tag = leg_tag(event)
        if tag is None:
            self._open_call(event)
        elif tag[0] == "outbound":
            self._outbound_leg(event)
        else:
            self._tagged_leg(event, *tag)

    def _outbound_leg(self, event: ari.StasisStart) -> None:
        """An outbound leg answered: its own call, running the dialer's flow and facts."""
        start = self.outbound.answered(event.channel.id) if self.outbound is not None else None
        if start is None:
            leg = event.channel.id
            log.warning("orphan outbound leg=%s (no dialer holds it): hanging up", leg)
            self._spawn(self._hang_up(leg), f"orphan-{leg}")
            return
        self._open_call(event, start)

    def _tagged_leg(self, event: ari.StasisStart, role: str, owner: str) -> None:
        """A leg we originated whose id is not bound (any more): its owner's, or hung up."""
        queue = self._queue
        if role in QUEUE_ROLES and queue is not None and queue.holds(owner):
            self.dispatcher.open_call(owner)  # the caller's session may be over (a callback)
            self.dispatcher.bind(event.channel.id, owner)
            self.dispatcher.dispatch(event, owner)
            return
        leg = event.channel.id
        log.warning("orphan %s leg=%s of call=%s (no owner here): hanging up", role, leg, owner)
        self._spawn(self._hang_up(leg), f"orphan-{leg}")

    async def _hang_up(self, leg: str) -> None:
        with contextlib.suppress(AriError):
            await self._rest.hangup(ari.ChannelId(leg))

    def _open_call(self, event: ari.StasisStart, outbound: OutboundStart | None = None) -> None:
        assert self._deps is not None, "CallRouter.start() not called"
        session = CallSession(self._deps, event.channel, outbound)
        self.adopt(session)
        self.dispatcher.dispatch(event, session.key)

    def adopt(self, session: CallSession) -> None:
        """Run `session` as a call of this process: its lane, its task, owned from now on (a
        new call, or one adopted after an app crash: `ivr.call.adoption`)."""
        key = session.key
        self.sessions[key] = session
        self.dispatcher.open_call(key)
        task = self._spawn(session.run(), f"call-{key}")
        task.add_done_callback(lambda _t: self._call_done(key))
        for listener in self.opened:
            listener(key)

    def holds(self, key: str) -> bool:
        """Whether call `key` runs here (its session, or the queue holds it)."""
        return key in self.sessions or (self._queue is not None and self._queue.holds(key))

    def _call_done(self, key: str) -> None:
        self.sessions.pop(key, None)
        if self._queue is None or not self._queue.holds(key):
            self._finish(key)  # else the queue still needs it (`queue_released`)

    def queue_released(self, key: str) -> None:
        """The queue no longer holds call `key`: end its lane unless its session runs."""
        if key not in self.sessions:
            self._finish(key)

    def _finish(self, key: str) -> None:
        self.dispatcher.finish(key)
        for listener in self.closed:
            listener(key)

    def _deliver_now(self, key: str, event: ari.AriEvent) -> bool:
        """The fast path: an event for a call's session, whose lane is idle, goes straight to
        the session's mailbox (`deliver` never awaits), one turn of the event loop sooner."""
        if not self.dispatcher.idle(key):
            return False
        if self.followups is not None and self.followups.holds(key):
            return False
        if self._queue is not None and self._queue.owns(event):
            return False
        session = self.sessions.get(key)
        if session is None:
            return False
        session.deliver(event)
        return True

    async def _lane(self, key: str, event: ari.AriEvent) -> None:
        if self.followups is not None and self.followups.holds(key):
            await self.followups.handle(key, event)
            return
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
        """The events websocket (re)connected: after a reconnect, resync the calls; then the
        `connected` hooks (adoption of the calls that outlived a previous process)."""
        self._connections += 1
        reconnect = self._connections > 1
        if reconnect:
            await self._resync()
        for hook in self.connected:
            await hook(reconnect)

    async def _resync(self) -> None:
        try:
            alive, gone = await ari.resync(
                self._rest, self._app_name, [ari.ChannelId(k) for k in self.sessions]
            )
        except AriError as exc:
            log.error("resync failed: %s", exc)
            return
        for key in gone:
            session = self.sessions.get(key)
            if session is not None:
                session.channel_lost("lost")
        for key in alive:
            session = self.sessions.get(key)
            if session is not None:
                try:
                    await session.resynced()
                except AriError as exc:
                    log.warning("call=%s resync of its prompts failed: %s", key, exc)
