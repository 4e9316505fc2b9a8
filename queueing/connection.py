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
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import BusyLoadingError, RedisError

from queueing.errors import StoreUnavailable

LOADING_WAIT_S = 10.0
LOADING_BACKOFF_BASE_S = 0.01  # redis-py sleeps base * 2**failures: 20 ms first
LOADING_MAX_BACKOFF_S = 0.5


def loading_retry(wait_s: float) -> Retry:
    """A redis-py retry policy for `BusyLoadingError` only, waiting about `wait_s` in all."""
    backoff = ExponentialBackoff(cap=LOADING_MAX_BACKOFF_S, base=LOADING_BACKOFF_BASE_S)
    retries, waited_s = 0, 0.0
    while waited_s < wait_s:
        retries += 1
        waited_s += backoff.compute(retries)
    return Retry(backoff, retries, supported_errors=(BusyLoadingError,))


def redis_client(
    url: str, *, socket_timeout_s: float = 5.0, loading_wait_s: float = LOADING_WAIT_S
) -> aioredis.Redis:
    """A client for `url` (`redis://`, `unix://`) with the deadlines of the module docstring."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout_s,
        retry=loading_retry(loading_wait_s),
    )


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
