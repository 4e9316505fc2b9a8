"""The router of one instance against a real redis-server: agents left for another instance.

An instance reserves only the pairs of the calls it holds; an agent paired with another
instance's (older) call is left to that instance, and taken for a call held here only after it
has been seen free and left for others for `margin_s(FOREIGN_GRACE_S)` in a row. The clock is
injected (a settable `now_s`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.clock import Clock
from ivr.queue.dialer import Router
from queueing.config import PriorityClass, load_queues
from queueing.model import AgentProfile, Offer
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_764_000_000.0
AGENT = AgentId("a1")


@dataclass(frozen=True, slots=True)
class SetClock(Clock):
    at: list[float] = field(default_factory=lambda: [T0])

    def now_s(self) -> float:
        return self.at[0]


@pytest.fixture
async def store(redis_server: str) -> AsyncIterator[RedisQueueStore]:
    config = load_queues(ROOT / "config" / "queues.yaml")
    s = RedisQueueStore.from_url(redis_server, config, prefix=f"t:{uuid.uuid4().hex[:8]}:")
    yield s
    await s.close()


async def test_an_agent_busy_in_between_is_left_for_the_older_foreign_call_again(
    store: RedisQueueStore,
) -> None:
    clock = SetClock()
    await store.add_agent(AgentProfile(AGENT, "A1", "PJSIP/a1", {"general": 1, "mandarin": 1}), T0)
    await store.login(AGENT, T0, ready=True)
    for key, at in (("other-1", T0 - 30), ("other-2", T0 - 20), ("mine", T0 - 10)):
        await store.enqueue(CallKey(key), "general", PriorityClass.NORMAL, at)
    won: list[Offer] = []

    async def offered(offer: Offer) -> None:
        won.append(offer)

    async def reaped(_key: str) -> None:
        return None

    router = Router(store, clock, wanting={"mine": "general"}, offered=offered, reaped=reaped)
    await router.route_once()  # the agent is left for the other instance's older call
    assert won == []
    offer = Offer(CallKey("other-1"), AGENT, "PJSIP/a1", "general", T0 + 15)
    assert await store.reserve([offer], T0 + 1) == [offer]  # the other instance takes it
    await store.answer(CallKey("other-1"), AGENT, T0 + 1)
    for step in range(2, 300, 30):  # a long call: no agent free on these passes
        clock.at[0] = T0 + step
        await router.route_once()
    await store.end_call(CallKey("other-1"), T0 + 300)
    await store.set_ready(AGENT, T0 + 300)
    clock.at[0] = T0 + 300
    await router.route_once()  # free again, paired with other-2 (older): left for them again
    assert won == []
    clock.at[0] = T0 + 300 + 2.0  # the grace (2 s at speed 1), watched from 300 on
    await router.route_once()
    assert [(o.call_id, o.agent_id) for o in won] == [("mine", AGENT)]
