"""The sandbox switch: an ARI-compatible stand-in for Asterisk 22 for tests and `ivr serve`.

Role: `SandboxSwitch` is the `Switchboard` (state, channels, bridges, playbacks, recordings,
external media, scenario calls) served over HTTP by `server.py`, plus the controls tests use:
`place_call`, `hangup` from the far end, `fail_next` (injected REST faults),
`drop_websockets`, `events()` and `transcript()`. It behaves the way
`docs/asterisk-behaviour.md` describes Asterisk 22.10.1.

Rules: `await start()` (or `async with`) before use and `await stop()` after: every background
task is owned by the switch and cancelled on stop; timings use the switch clock
(`config.speed`).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ivr.sandbox.board import Switchboard
from ivr.sandbox.caller import Transcript
from ivr.sandbox.config import SandboxConfig
from ivr.sandbox.events import Json
from ivr.sandbox.server import build_app
from ivr.sandbox.state import Fault

log = logging.getLogger(__name__)


class _Refused(asyncio.Protocol):
    """A connection over the session limit: closed as soon as it is accepted."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class SandboxSwitch(Switchboard):
    """The switch. `await start()`, then point an ARI client at `ari_url` (+ `/ari`)."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        super().__init__(config)
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.port = 0
        self.session_limit = self.config.http_session_limit  # tests may change it
        self.peak_sessions = 0  # most HTTP connections open at once (ARI, websockets, ...)
        self.sessions_refused = 0

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def ari_url(self) -> str:
        """HTTP base like Asterisk's `http://127.0.0.1:8088`; clients add `/ari`."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def open_sessions(self) -> int:
        """HTTP connections open now (REST keep-alive and websockets)."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    async def start(self) -> None:
        self._runner = web.AppRunner(build_app(self), handle_signals=False, access_log=None)
        await self._runner.setup()
        handlers = self._runner.server
        assert handlers is not None

        def protocol() -> asyncio.BaseProtocol:
            """As Asterisk's HTTP server: a connection beyond `session_limit` is closed at
            once, before any request is read (the client sees it drop, no answer)."""
            limit = self.session_limit
            if limit is not None and len(handlers.connections) >= limit:
                self.sessions_refused += 1
                log.warning("HTTP session count exceeded %d sessions.", limit)
                return _Refused()
            self.peak_sessions = max(self.peak_sessions, len(handlers.connections) + 1)
            return handlers()

        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            protocol, self.config.host, self.config.port, reuse_address=True, backlog=128
        )
        self.port = self._listener.sockets[0].getsockname()[1]
        log.info("sandbox switch listening url=%s", self.ari_url)

    async def stop(self) -> None:
        await super().stop()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxSwitch:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test-facing controls ----------------------------------------------------------------

    async def drop_websockets(self, refuse_s: float = 0.0) -> None:
        """Close every events websocket; events are lost until a client reconnects, which is
        refused (503 on the upgrade) for `refuse_s` real seconds."""
        await self.hub.drop_all(refuse_s)

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int | None = 500,
        delay_s: float = 0.0,
        count: int = 1,
    ) -> None:
        """Make the next `count` matching REST requests fail with `status` and/or wait
        `delay_s` real seconds first. `path_pattern` is a glob below `/ari`, e.g.
        `/channels/*/play`. `status=None` with a delay only slows the request down."""
        self.faults.append(Fault(method.upper(), path_pattern, status, delay_s, count))

    def hangup(self, channel_id: str, cause: int = 16) -> None:
        """Hang up from the far end (the caller or the agent phone), as a dialplan channel."""
        channel = self.channel(channel_id)
        self.hangup_channel(channel, cause=cause, soft=False, by="caller")

    def events(self, event_type: str | None = None) -> list[Json]:
        """Every event emitted so far (delivered or lost), optionally of one type."""
        return [e.event for e in self.hub.log if event_type in (None, e.event["type"])]

    def transcript(self, call_id: str) -> Transcript:
        return self.get_call(call_id).transcript
