"""Test helpers shared by unit and integration tests: bounded waits, no sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def until(
    predicate: Callable[[], Awaitable[T | None]], *, timeout_s: float = ..., what: str = ...
) -> T: ...


@overload
async def until(
    predicate: Callable[[], T | None], *, timeout_s: float = ..., what: str = ...
) -> T: ...


async def until(predicate: Callable[[], Any], *, timeout_s: float = 15.0, what: str = "") -> Any:
    """Poll `predicate` (sync or async) until it returns a truthy value, within `timeout_s`.

    Raises AssertionError naming `what` when the deadline passes. Yields to the loop between
    polls (no fixed sleeps: the wait ends as soon as the condition holds).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = predicate()
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or predicate}")
        await asyncio.sleep(0.005)
