"""The queue store's Redis client: a deadline per command, a bounded wait while Redis loads,
redis-py errors translated into `StoreUnavailable`, and the Lua scripts.

Rules: the only place `queueing` configures redis-py.
- Every command has a socket deadline (`socket_timeout_s`).
- A Redis still loading its dataset (just restarted: it answers `-LOADING`, redis-py
  `BusyLoadingError`) is waited for: the command is retried after sleeps of 20 ms, 40 ms, ...
  (doubling, at most 0.5 s) until they add up to `loading_wait_s`; a Redis still loading after
  that is unavailable. Only loading is retried: a refused or dropped connection fails at
  once, so callers can degrade without delay.
- Any redis-py error that reaches the store becomes `StoreUnavailable` (`redis_errors`), the
  one typed error callers see for "Redis did not do it".
- Scripts are `queueing/lua/<name>.lua`, each prefixed by the shared `lib.lua`.
- Redis Sentinel: a URL `redis+sentinel://[:password@]host:port[,host:port...]/SERVICE[/DB]`
  names the sentinels and the monitored service; the client asks them for the primary and,
  when the primary goes away or turns replica (a failover), asks again. During a failover a
  dropped, refused or read-only connection is retried with the same doubling sleeps until
  they add up to `failover_wait_s`; a primary still missing after that is unavailable.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import (
    BusyLoadingError,
    ConnectionError,
    ReadOnlyError,
    RedisError,
    TimeoutError,
)

from queueing.errors import BadRedisUrl, StoreUnavailable

SENTINEL_SCHEME = "redis+sentinel"
LOADING_WAIT_S = 10.0
FAILOVER_WAIT_S = 10.0
LOADING_BACKOFF_BASE_S = 0.01  # redis-py sleeps base * 2**failures: 20 ms first
LOADING_MAX_BACKOFF_S = 0.5


def loading_retry(
    wait_s: float, errors: tuple[type[Exception], ...] = (BusyLoadingError,)
) -> Retry:
    """A redis-py retry policy for `errors` (loading only, by default), waiting about `wait_s`
    in all."""
    backoff = ExponentialBackoff(cap=LOADING_MAX_BACKOFF_S, base=LOADING_BACKOFF_BASE_S)
    retries, waited_s = 0, 0.0
    while waited_s < wait_s:
        retries += 1
        waited_s += backoff.compute(retries)
    return Retry(backoff, retries, supported_errors=errors)


def redis_client(
    url: str,
    *,
    socket_timeout_s: float = 5.0,
    loading_wait_s: float = LOADING_WAIT_S,
    failover_wait_s: float = FAILOVER_WAIT_S,
) -> aioredis.Redis:
    """A client for `url` (`redis://`, `unix://`, `redis+sentinel://`) with the deadlines of
    the module docstring."""
    if url.startswith(SENTINEL_SCHEME + "://"):
        return _sentinel_client(url, socket_timeout_s, max(loading_wait_s, failover_wait_s))
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout_s,
        retry=loading_retry(loading_wait_s),
    )


async def close_client(client: aioredis.Redis) -> None:
    """Close `client`, and the sentinels' own connections when it follows a sentinel."""
    manager = getattr(client.connection_pool, "sentinel_manager", None)
    await client.aclose()
    for sentinel in getattr(manager, "sentinels", ()):
        await sentinel.aclose()


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    """`redis+sentinel://[:pw@]h:p[,h:p...]/SERVICE[/DB]` -> (sentinels, service, db, password)."""
    parts = urlsplit(url)
    where = parts.netloc.rsplit("@", 1)
    password = unquote(where[0].split(":", 1)[-1]) if len(where) == 2 else None
    hosts: list[tuple[str, int]] = []
    for item in where[-1].split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isascii() or not port.isdigit():
            raise BadRedisUrl(
                f"redis sentinel URL: {item.strip() or '(empty)'!r} is not host:port; use"
                " redis+sentinel://host:26379[,host:26379...]/SERVICE[/DB]"
            )
        hosts.append((host.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise BadRedisUrl(
            "redis sentinel URL: name the monitored service, e.g."
            " redis+sentinel://host:26379/mymaster (optionally /DB after it)"
        )
    return hosts, path[0], int(path[1]) if len(path) == 2 else 0, password


def _sentinel_client(url: str, socket_timeout_s: float, wait_s: float) -> aioredis.Redis:
    hosts, service, db, password = parse_sentinel_url(url)
    sentinel = Sentinel(
        hosts,
        socket_timeout=socket_timeout_s,
        sentinel_kwargs={"socket_timeout": socket_timeout_s, "password": password},
    )
    errors = (BusyLoadingError, ConnectionError, TimeoutError, ReadOnlyError)
    client: aioredis.Redis = sentinel.master_for(
        service,
        db=db,
        password=password,
        decode_responses=True,
        socket_timeout=socket_timeout_s,
        retry=loading_retry(wait_s, errors),
    )
    return client


@contextlib.asynccontextmanager
async def redis_errors(what: str) -> AsyncIterator[None]:
    """Translate redis-py errors at the boundary into `StoreUnavailable`."""
    try:
        yield
    except RedisError as exc:
        raise StoreUnavailable(f"queue store: {what} failed: {exc}") from exc


def load_scripts(client: aioredis.Redis) -> dict[str, AsyncScript]:
    """Every `queueing/lua/<name>.lua` but `lib.lua`, prefixed by `lib.lua`, by name."""
    lua = resources.files("queueing") / "lua"
    lib = (lua / "lib.lua").read_text(encoding="utf-8")
    bodies = {
        item.name.removesuffix(".lua"): item.read_text(encoding="utf-8")
        for item in lua.iterdir()
        if item.name.endswith(".lua") and item.name != "lib.lua"
    }
    return {name: client.register_script(lib + "\n" + body) for name, body in bodies.items()}
