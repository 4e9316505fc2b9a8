"""ARI REST transport: one request with a deadline, bounded retries and typed errors.

Role: `AriTransport.call(Request)` sends one ARI request (route template + ids, query, JSON
body) and returns the body bytes; `json` and `model` decode it. `ivr.ari.rest.AriRest` builds
the requests; this module knows nothing of particular routes.

Rules:
- Requests go over keep-alive HTTP/1.1 connections (`ivr.ari.http11.HttpPool`). Every attempt
  has a deadline (`timeout_s`), the wait for a free connection included.
- At most `max_connections` requests (connections) at once (setting `ari.max_connections`);
  requests sent under `urgent()` (a caller's key or speech answered) wait ahead of the others
  when all are busy; the wait counts against the deadline. Asterisk's
  HTTP server closes every session beyond its `sessionlimit` (http.conf, default 100, the events
  websocket included) without an answer (docs/asterisk-behaviour.md, "HTTP sessions").
- A request marked `retry` (repeating is harmless) is retried at most `retries` times with a
  short doubling pause after a timeout, a broken connection or a 5xx; a refused connection is
  retried for any request (nothing was sent).
- Statuses become typed errors (`ivr.ari.errors`; `docs/asterisk-behaviour.md`, "Calls and
  events"): 400 `AriBadRequest`, 401 `AriUnauthorized`, 404 `AriNotFound` (`ChannelGone` where
  the request says a 404 means the channel is gone), 409 `NotInStasis`, 5xx and transport
  failures `AriUnavailable`. Messages name method and path, never the query.
- Credentials only in the `Authorization` header; never in a URL, a log line or an error.
- DEBUG log per attempt: method, path, status, ms. Metrics go to an `AriObserver`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import orjson

from ivr.ari._http import ari_root, auth_header
from ivr.ari.errors import (
    AriBadRequest,
    AriError,
    AriNotFound,
    AriUnauthorized,
    AriUnavailable,
    ChannelGone,
    NotInStasis,
)
from ivr.ari.gate import PriorityGate
from ivr.ari.http11 import IDLE_S, HttpFailure, HttpPool
from ivr.ari.observer import NULL_OBSERVER, AriObserver
from ivr.ari.reading import Json, ModelError

log = logging.getLogger(__name__)

Params = Mapping[str, str | int | float | bool | None]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    route: str  # api-docs template, e.g. "/channels/{channelId}/play"
    ids: tuple[str, ...] = ()  # values of the route's {placeholders}, in order
    params: Params | None = None
    body: Mapping[str, Any] | None = None
    retry: bool = False  # safe to repeat
    gone_on_404: bool = False  # 404 means the channel is gone


class _Transient(Exception):
    def __init__(self, error: AriUnavailable, *, sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


_URGENT: ContextVar[bool] = ContextVar("ari_urgent", default=False)


@contextmanager
def urgent() -> Iterator[None]:
    """Requests sent within (by this task) answer a caller's key or speech: when every
    connection is busy they go before the others (announcements, music on hold, clean-up)."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


def _path(route: str, ids: tuple[str, ...]) -> str:
    parts = route.split("{")
    out = parts[0]
    for value, part in zip(ids, parts[1:], strict=True):
        out += quote(value, safe="") + part.partition("}")[2]
    return out


_QUERY_SAFE = ":/@,"  # left as they are in a query value (media=sound:http://...); RFC 3986


def _query(params: Params | None) -> str:
    """`?key=value&...`, or ''. Every other reserved character is %-encoded: a `+` stays a plus,
    a space is `%20`, `&`, `=` and `#` cannot end the value early."""
    out: list[str] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out.append(f"{quote(key, safe='')}={quote(text, safe=_QUERY_SAFE)}")
    return "?" + "&".join(out) if out else ""


def _reason(data: bytes) -> str:
    try:
        decoded = orjson.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()[:200]
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        return str(decoded["message"])[:200]
    return ""


_STATUS_ERRORS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    404: AriNotFound,
    409: NotInStasis,
}


class AriTransport:
    """Sends ARI requests over one pool of keep-alive connections (opened on first use)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout_s: float = 5.0,
        retries: int = 2,
        retry_delay_s: float = 0.1,
        observer: AriObserver = NULL_OBSERVER,
        sleep: Sleep = asyncio.sleep,
        max_connections: int = 40,
        keepalive_s: float = IDLE_S,
    ) -> None:
        self.root = ari_root(base_url)
        self._slots = PriorityGate(max_connections)  # requests in flight; urgent ones first
        self._headers = auth_header(username, password)
        self._prefix = self.root.raw_path
        self._keepalive_s = keepalive_s
        self.timeout_s = timeout_s
        self._retries = max(0, retries)
        self._retry_delay_s = retry_delay_s
        self._observer = observer
        self._sleep = sleep
        self._http: HttpPool | None = None

    def __repr__(self) -> str:
        return f"AriTransport({str(self.root)!r})"

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _pool(self) -> HttpPool:
        if self._http is None:
            self._http = HttpPool(self.root, self._headers, idle_s=self._keepalive_s)
        return self._http

    async def call(self, req: Request) -> bytes:
        path = _path(req.route, req.ids)
        for attempt in range(self._retries + 1):
            deadline = asyncio.get_running_loop().time() + self.timeout_s  # slot wait included
            try:
                await self._slot(req.method, path, deadline)
                try:
                    return await self._attempt(req, path, deadline)
                finally:
                    self._slots.release()
            except _Transient as exc:
                repeatable = req.retry or not exc.sent  # nothing sent: always safe
                if attempt == self._retries or not repeatable:
                    self._observer.request_failed(req.method, req.route, "AriUnavailable")
                    raise exc.error from None
                log.debug("ARI %s %s: %s; retrying", req.method, path, exc.error.detail)
                await self._sleep(self._retry_delay_s * 2**attempt)
            except AriError as exc:
                self._observer.request_failed(req.method, req.route, type(exc).__name__)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _slot(self, method: str, path: str, deadline: float) -> None:
        """Wait (bounded by the attempt's deadline) for one of the `max_connections` slots."""
        urgent = _URGENT.get()
        if self._slots.try_acquire(urgent=urgent):
            return  # the usual case: no wait, no timer
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire(urgent=urgent)
        except TimeoutError:
            detail = f"no free connection within {self.timeout_s:g} s"
            raise _Transient(AriUnavailable(detail, method=method, path=path), sent=False) from None

    async def _attempt(self, req: Request, path: str, deadline: float) -> bytes:
        status: int | None = None
        started = time.perf_counter()
        try:
            status, data = await self._send(req, path, deadline)
        finally:
            elapsed_s = time.perf_counter() - started
            self._observer.request_done(req.method, req.route, status, elapsed_s)
            log.debug("ARI %s %s -> %s in %.1f ms", req.method, path, status, elapsed_s * 1e3)
        if 200 <= status < 300:
            return data
        raise self._status_error(req, path, status, data)

    async def _send(self, req: Request, path: str, deadline: float) -> tuple[int, bytes]:
        method, target = req.method, self._prefix + path + _query(req.params)
        body = None if req.body is None else orjson.dumps(req.body)
        try:
            async with asyncio.timeout_at(deadline):
                return await self._pool().request(
                    method, target, body, "application/json" if body is not None else ""
                )
        except TimeoutError:
            error = AriUnavailable(
                f"no answer within {self.timeout_s:g} s", method=method, path=path
            )
            raise _Transient(error, sent=True) from None
        except HttpFailure as exc:
            text = f"connection failed ({exc})" if exc.sent else f"cannot connect ({exc})"
            error = AriUnavailable(text, method=method, path=path)
            raise _Transient(error, sent=exc.sent) from None

    def _status_error(self, req: Request, path: str, status: int, data: bytes) -> Exception:
        reason = _reason(data)
        text = f"{status} {reason}".strip()
        if status >= 500:
            error = AriUnavailable(text, method=req.method, path=path, status=status)
            return _Transient(error, sent=True)
        cls = _STATUS_ERRORS.get(status, AriError)
        if cls is AriNotFound and req.gone_on_404:
            cls = ChannelGone
        if cls is AriUnauthorized:
            text += " (check the ARI username and password)"
        return cls(text, method=req.method, path=path, status=status)

    async def json(self, req: Request) -> Any:
        data = await self.call(req)
        if not data:
            raise AriError("empty response body", method=req.method, path=_path(req.route, req.ids))
        try:
            return orjson.loads(data)
        except ValueError:
            path = _path(req.route, req.ids)
            raise AriError("response is not JSON", method=req.method, path=path) from None

    async def model(self, req: Request, parse: Callable[[Json], T]) -> T:
        body = await self.json(req)
        try:
            if not isinstance(body, dict):
                raise ModelError("response is not an object")
            return parse(body)
        except ModelError as exc:
            path = _path(req.route, req.ids)
            raise AriError(f"malformed response: {exc}", method=req.method, path=path) from None
