"""The queue store's Redis client: a deadline per command, redis-py errors translated into
`StoreUnavailable`, and the Lua scripts.

Rules: the only place `queueing` configures redis-py.
- Every command has a socket deadline (`socket_timeout_s`).
- Any redis-py error that reaches the store becomes `StoreUnavailable` (`redis_errors`), the
  one typed error callers see for "Redis did not do it".
- Scripts are `queueing/lua/<name>.lua`, each prefixed by the shared `lib.lua`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from queueing.errors import StoreUnavailable


def redis_client(url: str, *, socket_timeout_s: float = 5.0) -> aioredis.Redis:
    """A client for `url` (`redis://`, `unix://`) with a socket deadline."""
    return aioredis.Redis.from_url(url, decode_responses=True, socket_timeout=socket_timeout_s)


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
