"""The agent feed reads the event stream only while an agent listens: a subscriber who comes
after a quiet spell gets what happens from then on, never the backlog of nobody's messages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.queue.feed import AgentFeed
from queueing.config import load_queues
from queueing.model import AgentProfile
from queueing.policy import AgentId
from queueing.store import RedisQueueStore
from tests.helpers import until

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_764_000_000.0
A1 = AgentId("a1")


@pytest.fixture
async def store(redis_server: str) -> AsyncIterator[RedisQueueStore]:
    config = load_queues(ROOT / "config" / "queues.yaml")
    s = RedisQueueStore.from_url(redis_server, config, prefix=f"t{uuid.uuid4().hex[:8]}:")
    yield s
    await s.close()


async def test_a_subscriber_after_a_quiet_spell_gets_only_what_comes_next(
    store: RedisQueueStore,
) -> None:
    await store.add_agent(AgentProfile(A1, "A1", "PJSIP/8001", {"general": 3}), T0)
    feed = AgentFeed(store, lambda: T0, poll_interval_s=0.005)
    try:
        async with feed.subscribe(A1) as sub:
            await store.login(A1, T0, ready=True)
            async with asyncio.timeout(10):
                first = await sub.get()
            assert (first["type"], first["state"]) == ("state", "ready")
        await until(lambda: not feed.tailing, what="the tail idle: nobody listens")
        await store.logout(A1, T0 + 1)  # nobody's message
        async with feed.subscribe(A1) as sub:
            await store.login(A1, T0 + 2)  # logged in, not ready
            async with asyncio.timeout(10):
                second = await sub.get()
            assert (second["type"], second["state"]) == ("state", "not_ready")
    finally:
        await feed.aclose()
