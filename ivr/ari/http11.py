"""`HttpPool`: keep-alive HTTP/1.1 connections to Asterisk's HTTP server, for ARI REST requests.

Why not aiohttp's client (still used for the events websocket): every ARI request of every call
goes through here, and aiohttp's client costs ~60 us of CPU per request against ~15 us for this
pool (measured on one core, 40 connections, small JSON answers); at a thousand calls in progress
that was a tenth of the app's event loop. The HTTP parsing is httptools (llhttp, Node's parser).

Rules:
- One request at a time per connection (no pipelining); `request` takes an idle connection
  (the most recently used) or opens one. The caller (`AriTransport`) bounds how many requests
  are in flight, so this pool never holds more connections than that.
- A connection idle for `idle_s` (setting `ari.keepalive_s`, default 10 s) is closed rather than
  reused: Asterisk closes idle sessions after `session_keep_alive` (http.conf, default 15 s),
  and a request sent on a connection the server is closing at that instant would be lost with
  nothing to tell whether it was carried out. A connection the server closed while idle is
  never reused.
- A response ends by Content-Length or chunked encoding (Asterisk always sends one of them); a
  connection closed before its response ended, a malformed response or an answer nobody asked
  for fails the request (`ConnectionLost`) and the connection is closed. `Connection: close`
  in a response closes the connection after it.
- A failed or cancelled request (a deadline) closes its connection: an answer that comes later
  must not be taken for the next request's.
- Errors say whether the request may have reached the server: `ConnectFailed` (nothing sent:
  refused, unreachable, TLS handshake) or `ConnectionLost` (sent, fate unknown).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Callable, Mapping
from typing import cast

import httptools
from yarl import URL

IDLE_S = 10.0  # an idle connection older than this is closed, not reused (Asterisk: 15 s)


class HttpFailure(Exception):
    """A request got no complete answer; `sent`: it may have reached the server."""

    sent = True


class ConnectFailed(HttpFailure):
    """No connection could be made; the request was not sent. The text is the reason."""

    sent = False


class ConnectionLost(HttpFailure):
    """The connection failed after the request was sent (its fate is unknown)."""


def _connect_error_text(exc: OSError) -> str:
    """`Connection refused`, `TLS: CERTIFICATE_VERIFY_FAILED`, ... (no address, no secret)."""
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or type(exc).__name__}"
    if exc.errno:
        return os.strerror(exc.errno)
    return exc.strerror or type(exc).__name__


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection and the answer it is waiting for."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.reusable = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None

    # ---- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.open = True

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self._fail("an answer to no request")
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail("a malformed HTTP response")

    def eof_received(self) -> bool | None:
        self._fail("the connection closed before the response ended")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        self._fail("the connection closed before the response ended")

    # ---- httptools callbacks

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        self.reusable = self._parser.should_keep_alive()
        body = b"".join(self._body)
        self._body.clear()
        waiter, self._waiter = self._waiter, None
        if waiter is None:  # a second answer in one read: nobody asked for it
            self.reusable = False
            self.close()
        elif not waiter.done():
            waiter.set_result((status, body))

    # ---- the pool's side

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        """Write a request; the future answers it. A connection the server closed as soon as
        it was accepted (Asterisk's `sessionlimit`) fails it with `ConnectFailed`."""
        waiter = asyncio.get_running_loop().create_future()
        self.reusable = False
        if not self.open or self.transport is None:
            waiter.set_exception(ConnectFailed("the server closed the connection at once"))
            return waiter
        self._waiter = waiter
        self.transport.write(data)
        return waiter

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()

    def _fail(self, why: str) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionLost(why))
        self.close()


class HttpPool:
    """Keep-alive connections to the host of `root`; `request` sends one request."""

    def __init__(
        self,
        root: URL,
        headers: Mapping[str, str],
        *,
        idle_s: float = IDLE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        assert root.host is not None
        self._host = root.host
        self._port = root.port or (443 if root.scheme == "https" else 80)
        self._ssl: ssl.SSLContext | None = (
            ssl.create_default_context() if root.scheme == "https" else None
        )
        host = f"[{root.host}]" if ":" in root.host else (root.raw_host or root.host)  # IPv6
        default_port = root.port is None or root.port == (443 if root.scheme == "https" else 80)
        authority = host if default_port else f"{host}:{root.port}"
        lines = [f"Host: {authority}", "User-Agent: futures-ivr"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self._idle_s = idle_s
        self._clock = clock
        self._idle: list[_Connection] = []  # most recently used last
        self._busy: set[_Connection] = set()
        self.opened = 0  # connections opened so far (tests, metrics)

    @property
    def connections(self) -> int:
        """Open connections: idle and busy."""
        return sum(c.open for c in self._idle) + len(self._busy)

    async def request(
        self, method: str, target: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, bytes]:
        """Send `method target` (`target`: path and query, already encoded); (status, body)."""
        head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1") + self._head
        if body is not None or method not in ("GET", "HEAD"):
            head += f"Content-Length: {len(body or b'')}\r\n".encode("latin-1")
        if content_type:
            head += f"Content-Type: {content_type}\r\n".encode("latin-1")
        data = head + b"\r\n" + (body or b"")
        conn = await self._acquire()
        self._busy.add(conn)
        try:
            status, answer = await conn.send(data)
        except BaseException:
            conn.close()  # failed, timed out or cancelled: its answer may still come
            raise
        finally:
            self._busy.discard(conn)
        if conn.reusable and conn.open:
            conn.idle_since = self._clock()
            self._idle.append(conn)
        else:
            conn.close()
        return status, answer

    async def close(self) -> None:
        for conn in [*self._idle, *self._busy]:
            conn.close()
        self._idle.clear()
        self._busy.clear()

    async def _acquire(self) -> _Connection:
        now = self._clock()
        while self._idle:
            conn = self._idle.pop()
            if conn.open and now - conn.idle_since < self._idle_s:
                return conn
            conn.close()
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(
                _Connection, self._host, self._port, ssl=self._ssl
            )
        except OSError as exc:  # refused, unreachable, DNS, TLS (ssl.SSLError is an OSError)
            raise ConnectFailed(_connect_error_text(exc)) from None
        self.opened += 1
        return conn
