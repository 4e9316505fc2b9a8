"""Event delivery of the sandbox switch: applications, their websockets, lost events.

Role: what res_ari_websockets/res_stasis do with events. An application exists once a
websocket named it (`/ari/events?app=NAME`); a second websocket for the same app sends
`ApplicationReplaced` to the first, which stays open but receives nothing more. While no
websocket is connected, events for the app are LOST (counted, never queued), and a call that
reaches `Stasis(app)` fails (`docs/asterisk-behaviour.md`, "Losing the events websocket").
Each socket has one writer task so events keep their order.

Rules: every event passes through `EventHub.emit()`, which stamps `timestamp`, `asterisk_id`
and `application` and records it in `log` (delivered or not) for tests and transcripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Json = dict[str, Any]

# Every event type the switch emits (the contract test drives the switch to produce each one).
EMITTED_EVENT_TYPES = frozenset(
    {
        "ApplicationReplaced",
        "BridgeDestroyed",
        "ChannelCallerId",
        "ChannelConnectedLine",
        "ChannelDestroyed",
        "ChannelDialplan",
        "ChannelDtmfReceived",
        "ChannelEnteredBridge",
        "ChannelHangupRequest",
        "ChannelLeftBridge",
        "ChannelStateChange",
        "ChannelVarset",
        "Dial",
        "PlaybackFinished",
        "PlaybackStarted",
        "RecordingFinished",
        "RecordingStarted",
        "StasisEnd",
        "StasisStart",
    }
)


@dataclass(slots=True)
class EventSocket:
    ws: web.WebSocketResponse
    apps: tuple[str, ...]
    queue: asyncio.Queue[Json | None] = field(default_factory=asyncio.Queue)
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    event: Json
    delivered: bool


class EventHub:
    def __init__(self, *, asterisk_id: str, timestamp: Callable[[float | None], str]) -> None:
        self._asterisk_id = asterisk_id
        self._timestamp = timestamp
        self.registered: set[str] = set()
        self._sockets: dict[str, EventSocket] = {}
        self.log: list[LoggedEvent] = []
        self.lost = 0
        self.listeners: list[Callable[[Json], None]] = []
        # While a scripted far end acts (a digit, a hang-up, a dialplan step), its events are
        # stamped with the switch time it was scheduled for, however late the loop ran it.
        self.pinned_s: float | None = None
        self.refuse_until: float = 0.0  # loop time: event websockets refused until then (503)

    def refusing(self) -> bool:
        """A network outage in progress: new events websockets are refused."""
        return asyncio.get_running_loop().time() < self.refuse_until

    def is_active(self, app: str) -> bool:
        sock = self._sockets.get(app)
        return sock is not None and not sock.closed.is_set()

    def emit(
        self, app: str | None, event_type: str, at_s: float | None = None, **fields: Any
    ) -> Json:
        """Send an event to `app`'s websocket (or count it lost); `at_s`: the switch time it
        happened at, when scripted (default now)."""
        at_s = self.pinned_s if at_s is None else at_s
        event: Json = {"type": event_type, "timestamp": self._timestamp(at_s), **fields}
        event["asterisk_id"] = self._asterisk_id
        event["application"] = app or ""
        sock = self._sockets.get(app) if app else None
        delivered = sock is not None and not sock.closed.is_set()
        if sock is not None and delivered:
            sock.queue.put_nowait(event)
        elif app:
            self.lost += 1
            log.debug("sandbox event lost (no websocket) app=%s type=%s", app, event_type)
        self.log.append(LoggedEvent(event, delivered))
        for listener in self.listeners:
            listener(event)
        return event

    async def serve(self, ws: web.WebSocketResponse, apps: tuple[str, ...]) -> None:
        """Own one events websocket until it closes (the caller prepared `ws`)."""
        sock = EventSocket(ws, apps)
        for app in apps:
            self._replace(app, sock)
        writer = asyncio.create_task(self._write(sock))
        try:
            async for _msg in ws:
                pass  # clients send nothing we act on (Asterisk ignores text too)
        finally:
            sock.closed.set()
            sock.queue.put_nowait(None)
            await writer

    def _replace(self, app: str, sock: EventSocket) -> None:
        old = self._sockets.get(app)
        self.registered.add(app)
        self._sockets[app] = sock
        if old is not None and not old.closed.is_set():
            log.info("sandbox app replaced app=%s", app)
            old.queue.put_nowait(
                {
                    "type": "ApplicationReplaced",
                    "timestamp": self._timestamp(None),
                    "application": app,
                    "asterisk_id": self._asterisk_id,
                }
            )

    async def _write(self, sock: EventSocket) -> None:
        while (event := await sock.queue.get()) is not None:
            if sock.ws.closed:
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await sock.ws.send_str(json.dumps(event))

    async def drop_all(self, refuse_s: float = 0.0) -> None:
        """Close every events websocket (as a network failure would); for `refuse_s` real
        seconds after, reconnections are refused (the network is still down)."""
        self.refuse_until = asyncio.get_running_loop().time() + refuse_s
        for sock in list(self._sockets.values()):
            sock.closed.set()
            with contextlib.suppress(ConnectionError, RuntimeError):
                await sock.ws.close(code=1011, message=b"sandbox drop")
