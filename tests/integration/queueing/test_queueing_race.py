"""Race across processes: several app processes route hundreds of calls to a few agents."""

from __future__ import annotations

import asyncio

import pytest

from bench.routing import run


@pytest.mark.slow
@pytest.mark.parametrize(
    ("router", "serve"), [("store", "full"), ("app", "full"), ("app", "light")]
)
async def test_processes_racing_never_double_book_or_lose_a_call(
    redis_server: str, router: str, serve: str
) -> None:
    figures = await asyncio.to_thread(run, redis_server, 300, 4, 3, router, serve)
    assert figures["double_bookings"] == 0
    assert (figures["decisions"], figures["calls_offered"]) == (300, 300)  # each call once
