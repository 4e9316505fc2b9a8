"""The ARI events websocket: connect, heartbeat, reconnect with backoff, resync, replaced, close.

Spec: `GET /ari/events?app=APP&subscribeAll=false` upgraded to a websocket (api-docs `events.json`);
behaviour from `docs/asterisk-behaviour.md`, "Losing the events websocket":
- while no socket is connected, events are lost, never replayed; so after every (re)connect the
  `on_connected` hook runs (before any event of the new socket is delivered) and the app resyncs
  with `resync()` (`GET /applications/{app}` + `GET /channels`);
- a second socket on the same app name sends `ApplicationReplaced` to the first: we log ERROR,
  stop consuming, do not reconnect, set `replaced` and `run()` raises `AriAppReplaced`;
- 401 on the upgrade raises `AriUnauthorized` from `run()` (no retry: a wrong password stays wrong).

Rules: credentials only in the `Authorization` header. Reconnect waits use capped exponential
backoff with full jitter (RNG and sleep injectable), capped at 2 s by default: every second
without the socket sends new calls to the dialplan's app-down fallback, and a reconnect to the
local Asterisk is cheap; the backoff resets only after a connection stayed up `stable_after_s`,
so a server that accepts and drops at once never makes us spin (one try per second on average).
An outage logs one warning when it starts (socket lost, or the first try refused) and one
info line when a socket opens again (with the count of refused tries); the tries between are
DEBUG: no flood while Asterisk is away.
`on_event` is synchronous (e.g. `Dispatcher.dispatch`): a slow consumer cannot stall the reader;
its exceptions are logged, never kill the reader. `close()` returns promptly, even mid-connect,
mid-backoff or mid-read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable

import aiohttp
import orjson

from ivr.ari._http import auth_header, events_url
from ivr.ari.errors import AriAppReplaced, AriUnauthorized
from ivr.ari.event_models import ApplicationReplaced, AriEvent, parse_event
from ivr.ari.models import ChannelId
from ivr.ari.observer import NULL_OBSERVER, AriObserver
from ivr.ari.rest import AriRest

log = logging.getLogger(__name__)

EventHandler = Callable[[AriEvent], object]  # sync; e.g. Dispatcher.dispatch
ConnectedHook = Callable[[], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

_CLOSED_TYPES = (
    aiohttp.WSMsgType.CLOSE,
    aiohttp.WSMsgType.CLOSING,
    aiohttp.WSMsgType.CLOSED,
    aiohttp.WSMsgType.ERROR,
)


class _Lost(Exception):
    """The socket could not be opened or was lost: reconnect after a backoff."""


def backoff_delay_s(
    failures: int, *, initial_s: float, max_s: float, min_s: float, rng: random.Random
) -> float:
    """Full-jitter delay before reconnect number `failures` (1, 2, ...): U(0, cap), at least min_s.

    cap = min(max_s, initial_s * 2**(failures-1)).
    """
    cap = min(max_s, initial_s * 2.0 ** min(max(failures - 1, 0), 60))
    return max(min_s, rng.uniform(0.0, cap))


class AriEvents:
    """One events websocket for one ARI application name. `await run(on_event)`; `close()`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        heartbeat_s: float = 10.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 2.0,
        backoff_min_s: float = 0.05,
        stable_after_s: float = 30.0,
        connect_timeout_s: float = 5.0,
        close_timeout_s: float = 1.0,
        subscribe_all: bool = False,
        on_connected: ConnectedHook | None = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
        observer: AriObserver = NULL_OBSERVER,
    ) -> None:
        self.app = app
        self._url = events_url(base_url, app, subscribe_all=subscribe_all)
        self._headers = auth_header(username, password)
        self._heartbeat_s = heartbeat_s
        self._backoff = (backoff_initial_s, backoff_max_s, backoff_min_s)
        self._stable_after_s = stable_after_s
        self._connect_timeout_s = connect_timeout_s
        self._close_timeout_s = close_timeout_s
        self.on_connected = on_connected
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._observer = observer
        self.replaced = asyncio.Event()  # set on ApplicationReplaced
        self.connected = asyncio.Event()  # set while a socket is open
        self.connections = 0  # successful handshakes so far
        self._closing = False
        self._runner: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._outage_since: float | None = None  # loop time the socket was lost or first refused
        self._refusals = 0  # tries refused since

    def __repr__(self) -> str:
        return f"AriEvents(app={self.app!r})"

    # ------------------------------------------------------------ lifecycle

    async def run(self, on_event: EventHandler) -> None:
        """Consume events until `close()` (returns), ApplicationReplaced or 401 (raises)."""
        if self._runner is not None:
            raise RuntimeError("AriEvents.run() is already running")
        if self._closing:
            return
        runner = asyncio.create_task(self._main(on_event), name=f"ari-events-{self.app}")
        self._runner = runner
        try:
            await runner
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._closing and task is not None and task.cancelling() == 0:
                return
            raise
        finally:
            await self._close_session()

    async def close(self) -> None:
        """Stop consuming and close the socket; prompt in every state."""
        self._closing = True
        runner = self._runner
        if runner is not None and not runner.done():
            runner.cancel()
            await asyncio.wait({runner}, timeout=self._close_timeout_s + 1.0)
        await self._close_session()

    async def _close_session(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    # ------------------------------------------------------------ reconnect loop

    async def _main(self, on_event: EventHandler) -> None:
        failures = 0
        while not self._closing:
            if failures:
                delay_s = self._delay_s(failures)
                log.debug("ARI events app=%s reconnecting in %.2f s", self.app, delay_s)
                await self._sleep(delay_s)
            try:
                stable = await self._connect_once(on_event)
            except _Lost as exc:
                self._refused(exc)
                failures += 1
                continue
            self._observer.disconnected()
            failures = 1 if stable else failures + 1

    def _refused(self, exc: _Lost) -> None:
        """One warning when the outage starts (no socket yet, or the first refusal after a
        lost one); the tries after it are counted, then summed up in the reconnect line."""
        if self._outage_since is None:
            self._outage_since = asyncio.get_running_loop().time()
            log.warning("ARI events app=%s: %s; retrying with backoff", self.app, exc)
        else:
            log.debug("ARI events app=%s: %s", self.app, exc)
        self._refusals += 1

    def _delay_s(self, failures: int) -> float:
        initial_s, max_s, min_s = self._backoff
        return backoff_delay_s(
            failures, initial_s=initial_s, max_s=max_s, min_s=min_s, rng=self._rng
        )

    async def _connect_once(self, on_event: EventHandler) -> bool:
        """Open, serve and lose one socket; True if it stayed up `stable_after_s`."""
        ws = await self._open()
        loop = asyncio.get_running_loop()
        opened_at = loop.time()
        try:
            await self._on_open()
            reason = await self._read(ws, on_event)
            log.warning("ARI events app=%s: socket lost (%s); reconnecting", self.app, reason)
            self._outage_since = loop.time()
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):
                await ws.close()
        return loop.time() - opened_at >= self._stable_after_s

    async def _open(self) -> aiohttp.ClientWebSocketResponse:
        if self._http is None or self._http.closed:
            # no total deadline on the session: the socket lives for hours; the handshake is
            # bounded below by asyncio.timeout, liveness by the heartbeat
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        timeout = aiohttp.ClientWSTimeout(ws_receive=None, ws_close=self._close_timeout_s)
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                return await self._http.ws_connect(
                    self._url, headers=self._headers, heartbeat=self._heartbeat_s, timeout=timeout
                )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                log.error("ARI events app=%s: 401 unauthorized; not retrying", self.app)
                raise AriUnauthorized(
                    "401 unauthorized (check the ARI username and password)",
                    method="GET",
                    path="/events",
                    status=401,
                ) from None
            raise _Lost(f"upgrade refused with status {exc.status}") from None
        except TimeoutError:
            raise _Lost(f"no connection within {self._connect_timeout_s:g} s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise _Lost(f"cannot connect ({type(exc).__name__})") from None

    async def _on_open(self) -> None:
        reconnect = self.connections > 0
        self.connections += 1
        self.connected.set()
        self._observer.connected(reconnect)
        if self._outage_since is None:
            log.info("ARI events app=%s %s", self.app, "reconnected" if reconnect else "connected")
        else:
            lasted_s = asyncio.get_running_loop().time() - self._outage_since
            what = "reconnected" if reconnect else "connected"
            log.info("ARI events app=%s %s after %d refused tries in %.1f s",
                     self.app, what, self._refusals, lasted_s)  # fmt: skip
        self._outage_since, self._refusals = None, 0
        if self.on_connected is None:
            return
        try:
            await self.on_connected()
        except Exception:
            log.exception("ARI events app=%s: on_connected hook failed", self.app)

    # ------------------------------------------------------------ reading

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, on_event: EventHandler) -> str:
        while True:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                self._handle(msg.data, on_event)
            elif msg.type in _CLOSED_TYPES:
                return f"{msg.type.name.lower()} {ws.close_code or ''}".strip()

    def _handle(self, text: str, on_event: EventHandler) -> None:
        try:
            data = orjson.loads(text)
        except ValueError:
            log.warning("ARI events app=%s: dropping a non-JSON message", self.app)
            return
        event = parse_event(data)
        if event is None:
            return
        self._observer.event_received(event.type)
        if isinstance(event, ApplicationReplaced):
            self._replaced()
        try:
            on_event(event)
        except Exception:
            log.exception("ARI events app=%s: handler failed on %s", self.app, event.type)

    def _replaced(self) -> None:
        log.error(
            "another process took ARI app %s: this instance stops consuming its events "
            "(one app name = one consumer; give each instance its own name)",
            self.app,
        )
        self.replaced.set()
        raise AriAppReplaced(f"another process took ARI app {self.app}")


async def resync(
    rest: AriRest, app: str, active: Iterable[ChannelId]
) -> tuple[set[ChannelId], set[ChannelId]]:
    """After a reconnect: which of the channels we believe active survived, which ended.

    A channel survived when it is still in the app (`GET /applications/{app}` channel_ids) and
    still exists (`GET /channels`); every other believed-active channel is gone.
    """
    application = await rest.get_application(app)
    existing = {channel.id for channel in await rest.list_channels()}
    believed = set(active)
    alive = believed & set(application.channel_ids) & existing
    gone = believed - alive
    log.info("ARI resync app=%s alive=%d gone=%d", app, len(alive), len(gone))
    return alive, gone
