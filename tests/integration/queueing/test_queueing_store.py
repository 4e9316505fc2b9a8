"""Redis queue store against a real redis-server: races, priority, overflow, reaper, events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from errorbase import Conflict, NotFound
from queueing.config import ExitOption, PriorityClass, QueueConfig, load_queues
from queueing.errors import (
    AgentBusy,
    AgentLoggedIn,
    AgentNotFound,
    CallAlreadyQueued,
    CallNotConnected,
    CallNotFound,
    CallNotWaiting,
    NotOffered,
    QueueStoreError,
    StateNotSettable,
    StoreUnavailable,
    UnknownQueue,
)
from queueing.model import (
    AgentProfile,
    AgentState,
    CallerView,
    Offer,
    QueueCallState,
    QueueResult,
    ReapResult,
)
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_queues(ROOT / "config" / "queues.yaml")
E, V, N = PriorityClass.EMERGENCY, PriorityClass.VIP, PriorityClass.NORMAL
T0 = 1_764_000_000.0  # 2025-11-24 16:00 UTC: an injected clock, never the wall clock


def new_store(url: str, prefix: str, config: QueueConfig = CONFIG) -> RedisQueueStore:
    return RedisQueueStore.from_url(url, config, prefix=prefix)


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def store(redis_server: str, prefix: str) -> AsyncIterator[RedisQueueStore]:
    s = new_store(redis_server, prefix)
    yield s
    await s.close()


async def add_ready(store: RedisQueueStore, agent_id: str, now: float, **skills: int) -> None:
    profile = AgentProfile(AgentId(agent_id), agent_id.upper(), f"PJSIP/{agent_id}", skills)
    await store.add_agent(profile, now)
    await store.login(AgentId(agent_id), now, ready=True)


async def add_away(store: RedisQueueStore, agent_id: str, now: float, **skills: int) -> None:
    profile = AgentProfile(AgentId(agent_id), agent_id.upper(), f"PJSIP/{agent_id}", skills)
    await store.add_agent(profile, now)
    await store.login(AgentId(agent_id), now)


def cid(name: str) -> CallKey:
    return CallKey(name)


async def test_two_concurrent_reservers_one_agent_exactly_one_winner(
    redis_server: str, prefix: str
) -> None:
    first, second = new_store(redis_server, prefix), new_store(redis_server, prefix)
    try:
        await add_ready(first, "a1", T0, mandarin=1, general=1)
        for i in range(20):
            await first.enqueue(cid(f"c{i}"), "general", N, T0 + i)
        offers_a, offers_b = await asyncio.gather(first.route(T0 + 30), second.route(T0 + 30))
        assert len(offers_a) + len(offers_b) == 1
        assert (offers_a + offers_b)[0].call_id == "c0"
        # the loser, proposing another call for the same agent, loses too
        clash = Offer(cid("c1"), AgentId("a1"), "PJSIP/a1", "general", T0 + 45)
        assert await second.reserve([clash], T0 + 30) == []
        agent = await first.get_agent(AgentId("a1"))
        assert agent is not None
        assert (agent.state, agent.call_id) == (AgentState.RESERVED, "c0")
    finally:
        await first.close()
        await second.close()


async def test_many_reservers_never_double_book(redis_server: str, prefix: str) -> None:
    stores = [new_store(redis_server, prefix) for _ in range(4)]
    try:
        for i in range(5):
            await add_ready(stores[0], f"a{i}", T0, mandarin=1, general=1)
        for i in range(40):
            await stores[0].enqueue(cid(f"c{i:02d}"), "general", N, T0 + i)
        rounds = await asyncio.gather(*(s.route(T0 + 60) for s in stores for _ in range(3)))
        won = [offer for offers in rounds for offer in offers]
        assert sorted(o.agent_id for o in won) == [f"a{i}" for i in range(5)]
        assert sorted(o.call_id for o in won) == [f"c{i:02d}" for i in range(5)]
    finally:
        for s in stores:
            await s.close()


async def test_emergency_behind_50_calls_goes_to_first_free_desk_agent(
    store: RedisQueueStore,
) -> None:
    for i in range(50):
        await store.enqueue(cid(f"n{i:02d}"), "general", N, T0 + i)
    await store.enqueue(cid("emergency"), "trading_desk", E, T0 + 60, {"account": "8****21"})
    await add_away(store, "desk2", T0, emergency_order=4, mandarin=1, general=1)
    await add_ready(store, "gen1", T0, mandarin=1, general=1)
    await add_ready(store, "desk1", T0 + 61, emergency_order=3, mandarin=1, general=1)
    offers = await store.route(T0 + 62)
    assert [(o.call_id, o.agent_id, o.endpoint, o.deadline_s) for o in offers] == [
        ("emergency", "desk1", "PJSIP/desk1", T0 + 72),
        ("n00", "gen1", "PJSIP/gen1", T0 + 77),
    ]
    record = await store.get_call(cid("emergency"))
    assert record is not None
    assert record.state is QueueCallState.OFFERED
    assert dict(record.info) == {"account": "8****21"}


async def test_overflow_to_licensed_agent_keeps_original_wait(store: RedisQueueStore) -> None:
    await store.enqueue(cid("e1"), "trading_desk", E, T0)
    await store.enqueue(cid("e2"), "trading_desk", E, T0 + 1)
    await add_ready(store, "lic", T0, licensed=1, mandarin=1)
    assert await store.route(T0 + 9.9) == []
    offers = await store.route(T0 + 10.0)
    assert [(o.call_id, o.agent_id) for o in offers] == [("e1", "lic")]
    view = await store.caller_view(cid("e2"), T0 + 10.0)
    assert view == CallerView(position=1, waited_s=9.0, estimated_wait_s=None, exit_options=())
    await store.no_answer(cid("e1"), AgentId("lic"), T0 + 12)
    view = await store.caller_view(cid("e1"), T0 + 61)
    exits = (ExitOption.CALLBACK, ExitOption.VOICE_MESSAGE)
    assert view == CallerView(position=1, waited_s=61.0, estimated_wait_s=None, exit_options=exits)
    offers = await store.route(T0 + 62)
    assert [(o.call_id, o.agent_id) for o in offers] == [("e1", "lic")]
    await store.answer(cid("e1"), AgentId("lic"), T0 + 63)
    answered = [e for e in await store.events() if e.type == "call_answered"]
    assert [(e.fields["call_id"], e.fields["waited_s"]) for e in answered] == [("e1", "63")]


async def test_reaper_with_a_grace_releases_only_the_offers_still_ringing_at_their_deadline(
    store: RedisQueueStore,
) -> None:
    """An instance names the calls whose agent leg it knows still rings: those go at their
    deadline; any other offer (another instance's, or one answered and being bridged) only
    `grace_s` later, so the reaper never races an answer on its way."""
    for i in range(3):
        await store.enqueue(cid(f"c{i}"), "general", N, T0 + i)
        await add_ready(store, f"a{i}", T0, mandarin=1, general=1)
    proposals = [
        Offer(cid(f"c{i}"), AgentId(f"a{i}"), f"PJSIP/a{i}", "general", T0 + 25) for i in range(3)
    ]
    assert await store.reserve(proposals, T0 + 10) == proposals
    ringing = [cid("c1")]
    assert await store.reap(T0 + 24.9, ringing=ringing, grace_s=60) == ReapResult((), ())
    assert await store.reap(T0 + 25, ringing=ringing, grace_s=60) == ReapResult((cid("c1"),), ())
    assert await store.reap(T0 + 84.9, ringing=[], grace_s=60) == ReapResult((), ())
    released = await store.reap(T0 + 85, ringing=[], grace_s=60)
    assert sorted(released.released) == [cid("c0"), cid("c2")]
    assert [a.agent_id for a in await store.ready_agents()] == ["a0", "a1", "a2"]


async def test_reaper_releases_unanswered_offer_and_requeues_at_head_of_class(
    store: RedisQueueStore,
) -> None:
    for i, prio in enumerate((N, N, N, V)):
        await store.enqueue(cid(f"c{i}"), "general", prio, T0 + i)
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    proposal = Offer(cid("c2"), AgentId("a1"), "PJSIP/a1", "general", T0 + 25)
    assert await store.reserve([proposal], T0 + 10) == [proposal]
    assert await store.reap(T0 + 24.9) == ReapResult((), ())
    assert await store.reap(T0 + 25) == ReapResult((cid("c2"),), ())
    order = [c.call_id for c in await store.waiting_calls()]
    assert order == ["c3", "c2", "c0", "c1"]  # vip first, then c2 at the head of the normal class
    view = await store.caller_view(cid("c2"), T0 + 30)
    assert view is not None
    assert (view.position, view.waited_s) == (2, 28.0)
    agent = await store.get_agent(AgentId("a1"))
    assert agent is not None
    assert (agent.state, agent.unanswered, agent.call_id) == (AgentState.READY, 1, None)


async def test_agent_goes_not_ready_after_max_unanswered_offers(store: RedisQueueStore) -> None:
    await store.enqueue(cid("c"), "general", N, T0)
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    now = T0
    for _ in range(CONFIG.routing.max_unanswered_offers):
        assert [o.call_id for o in await store.route(now)] == ["c"]
        now += 15
        assert (await store.reap(now)).released == (cid("c"),)
    agent = await store.get_agent(AgentId("a1"))
    assert agent is not None
    assert (agent.state, agent.reason, agent.unanswered) == (AgentState.NOT_READY, "no_answer", 3)
    assert await store.route(now) == []
    await store.set_ready(AgentId("a1"), now)
    agent = await store.get_agent(AgentId("a1"))
    assert agent is not None
    assert (agent.state, agent.unanswered) == (AgentState.READY, 0)


async def test_whole_call_writes_events_stats_and_handle_times(store: RedisQueueStore) -> None:
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    await store.enqueue(cid("c1"), "general", N, T0 + 1)
    await store.enqueue(cid("c2"), "general", N, T0 + 2)
    [offer] = await store.route(T0 + 3)
    await store.answer(offer.call_id, offer.agent_id, T0 + 5)
    await store.end_call(cid("c1"), T0 + 125)
    assert (
        await store.remove_call(cid("c2"), QueueResult.ABANDONED, T0 + 130)
        is QueueCallState.WAITING
    )
    assert await store.reap(T0 + 155) == ReapResult((), (AgentId("a1"),))
    await store.logout(AgentId("a1"), T0 + 160)
    events = [
        (e.type, e.fields.get("call_id") or e.fields.get("state")) for e in await store.events()
    ]
    assert events == [
        ("agent_saved", None),
        ("agent_state", "ready"),
        ("call_queued", "c1"),
        ("call_queued", "c2"),
        ("call_offered", "c1"),
        ("agent_state", "c1"),
        ("call_answered", "c1"),
        ("agent_state", "on_call"),
        ("call_ended", "c1"),
        ("agent_state", "wrap_up"),
        ("call_removed", "c2"),
        ("agent_state", "ready"),
        ("agent_state", "logged_out"),
    ]
    stats = await store.queue_stats("general", T0 + 160)
    assert (stats.waiting, stats.entered, stats.answered, stats.abandoned) == (0, 2, 1, 1)
    assert (stats.service_level_pct, stats.abandon_rate_pct) == (100.0, 50.0)
    assert stats.agents_by_state[AgentState.LOGGED_OUT] == 1
    agent = await store.get_agent(AgentId("a1"))
    assert agent is not None
    assert (agent.calls_handled, agent.last_call_end_s) == (1, T0 + 125)
    await store.set_ready(AgentId("a1"), T0 + 170)
    await store.enqueue(cid("c3"), "general", N, T0 + 171)
    await store.enqueue(cid("c4"), "general", N, T0 + 172)
    view = await store.caller_view(cid("c4"), T0 + 173)
    assert view is not None
    assert (view.position, view.estimated_wait_s) == (2, 240.0)
    later = await store.events(after=(await store.events())[-1].event_id)
    assert later == []


async def test_queue_stats_live_figures(store: RedisQueueStore) -> None:
    await store.enqueue(cid("c1"), "trading_desk", E, T0)
    await store.enqueue(cid("c2"), "trading_desk", E, T0 + 4)
    await add_away(store, "d1", T0, emergency_order=3)
    await add_ready(store, "d2", T0, emergency_order=5)
    [offer] = await store.route(T0 + 30)
    await store.answer(offer.call_id, offer.agent_id, T0 + 31)  # 31 s: outside 90 % in 10 s
    stats = await store.queue_stats("trading_desk", T0 + 40)
    assert (stats.waiting, stats.longest_wait_s, stats.answered) == (1, 36.0, 1)
    assert (stats.service_level_pct, stats.abandon_rate_pct, stats.timed_out) == (0.0, 0.0, 0)
    assert dict(stats.agents_by_state) == {
        AgentState.LOGGED_OUT: 0,
        AgentState.READY: 0,
        AgentState.NOT_READY: 1,
        AgentState.RESERVED: 0,
        AgentState.ON_CALL: 1,
        AgentState.WRAP_UP: 0,
    }
    empty = await store.queue_stats("english", T0)
    assert (empty.waiting, empty.longest_wait_s, empty.service_level_pct) == (0, 0.0, None)


async def test_hangup_while_offered_frees_the_agent(store: RedisQueueStore) -> None:
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    await store.enqueue(cid("c1"), "general", N, T0)
    await store.route(T0 + 1)
    assert (
        await store.remove_call(cid("c1"), QueueResult.ABANDONED, T0 + 2) is QueueCallState.OFFERED
    )
    agent = await store.get_agent(AgentId("a1"))
    assert agent is not None
    assert (agent.state, agent.unanswered) == (AgentState.READY, 0)
    assert await store.reap(T0 + 100) == ReapResult((), ())
    assert await store.remove_call(cid("c1"), QueueResult.ABANDONED, T0 + 3) is None


async def test_refusals_say_what_is_wrong(store: RedisQueueStore) -> None:
    with pytest.raises(
        UnknownQueue, match=r"^unknown queue 'genral' \(did you mean 'general'\?\)$"
    ):
        await store.enqueue(cid("c1"), "genral", N, T0)
    await store.enqueue(cid("c1"), "general", N, T0)
    with pytest.raises(CallAlreadyQueued, match=r"^call 'c1' is already queued$"):
        await store.enqueue(cid("c1"), "general", N, T0)
    with pytest.raises(AgentNotFound, match=r"^no agent 'ghost'$"):
        await store.set_ready(AgentId("ghost"), T0)
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    with pytest.raises(NotOffered, match=r"^call 'c1' is not offered to agent 'a1'$"):
        await store.answer(cid("c1"), AgentId("a1"), T0)
    with pytest.raises(CallNotFound, match=r"^no call 'nope' in the queues$"):
        await store.answer(cid("nope"), AgentId("a1"), T0)
    with pytest.raises(NotOffered, match=r"^call 'c1' is not offered to agent 'a1'$"):
        await store.no_answer(cid("c1"), AgentId("a1"), T0)
    with pytest.raises(CallNotConnected, match=r"^call 'c1' is not connected to an agent$"):
        await store.end_call(cid("c1"), T0)
    [offer] = await store.route(T0 + 1)
    with pytest.raises(AgentBusy, match=r"^agent 'a1' is busy with a call; try after it ends$"):
        await store.set_not_ready(offer.agent_id, "break", T0 + 2)
    with pytest.raises(
        StateNotSettable, match=r"^agent state 'on_call' is set by the queues, not by hand$"
    ):
        await store.set_state(offer.agent_id, AgentState.ON_CALL, "", T0 + 2)
    await store.answer(offer.call_id, offer.agent_id, T0 + 3)
    assert (
        await store.remove_call(cid("c1"), QueueResult.ABANDONED, T0 + 4)
        is QueueCallState.CONNECTED
    )
    assert await store.caller_view(cid("c1"), T0 + 4) is None
    with pytest.raises(CallNotWaiting, match=r"^call 'c1' is not waiting in a queue$"):
        await store.request_callback(cid("c1"), "13900000000", T0 + 4)


async def test_refusals_are_typed_with_a_kind_a_code_and_details(store: RedisQueueStore) -> None:
    with pytest.raises(QueueStoreError) as missing:
        await store.set_ready(AgentId("ghost"), T0)
    assert isinstance(missing.value, AgentNotFound | NotFound)
    assert (missing.value.code, missing.value.details) == ("agent-not-found", {"agent_id": "ghost"})
    await store.enqueue(cid("c1"), "general", N, T0)
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    await store.route(T0 + 1)
    with pytest.raises(Conflict) as busy:
        await store.logout(AgentId("a1"), T0 + 2)
    assert isinstance(busy.value, AgentBusy)
    assert (busy.value.code, busy.value.details) == ("agent-busy", {"agent_id": "a1"})


async def test_remove_agent_only_when_logged_out(store: RedisQueueStore) -> None:
    await add_ready(store, "a1", T0, general=1)
    with pytest.raises(AgentLoggedIn, match=r"^Agent 'a1' is logged in; log it out first$"):
        await store.remove_agent(AgentId("a1"), T0 + 1)
    await store.logout(AgentId("a1"), T0 + 2)
    await store.remove_agent(AgentId("a1"), T0 + 3)
    assert await store.get_agent(AgentId("a1")) is None
    assert await store.list_agents() == []
    assert not await store.client.exists(store.key("agent", "a1"))
    assert not await store.client.sismember(store.key("agents:ready"), "a1")
    assert [e.type for e in await store.events()][-1] == "agent_removed"
    with pytest.raises(AgentNotFound, match=r"^no agent 'a1'$"):
        await store.remove_agent(AgentId("a1"), T0 + 4)


async def test_app_restart_keeps_state_and_reaper_frees_reserved_agents(
    redis_server: str, prefix: str
) -> None:
    before = new_store(redis_server, prefix)
    await add_ready(before, "a1", T0, mandarin=1, general=1)
    await before.enqueue(cid("c1"), "general", N, T0)
    await before.enqueue(cid("c2"), "general", V, T0 + 1)
    await before.route(T0 + 2)
    await before.close()  # the app dies with a1 reserved
    after = new_store(redis_server, prefix)
    try:
        assert [c.call_id for c in await after.waiting_calls()] == ["c1"]
        assert (await after.reap(T0 + 17)).released == (cid("c2"),)
        assert [a.agent_id for a in await after.ready_agents()] == ["a1"]
        assert [c.call_id for c in await after.waiting_calls()] == ["c2", "c1"]
    finally:
        await after.close()


async def test_list_agents_shows_profiles(store: RedisQueueStore) -> None:
    await add_away(store, "b2", T0, english=2)
    await add_ready(store, "a1", T0 + 1, mandarin=1, general=3)
    await store.set_not_ready(AgentId("b2"), "training", T0 + 2)
    agents = await store.list_agents()
    assert [
        (a.agent_id, a.profile.name, dict(a.profile.skills), a.state, a.reason) for a in agents
    ] == [
        ("a1", "A1", {"general": 3, "mandarin": 1}, AgentState.READY, ""),
        ("b2", "B2", {"english": 2}, AgentState.NOT_READY, "training"),
    ]
    assert await store.get_agent(AgentId("nobody")) is None


async def test_unreachable_redis_is_a_readable_error(tmp_path: Path) -> None:
    store = new_store(f"unix://{tmp_path / 'none.sock'}", "x:")
    try:
        with pytest.raises(StoreUnavailable, match=r"^queue store: get_agent failed: "):
            await store.get_agent(AgentId("a1"))
    finally:
        await store.close()


async def test_stale_queue_entries_are_ignored(store: RedisQueueStore) -> None:
    await store.enqueue(cid("c1"), "general", N, T0)
    await store.enqueue(cid("c2"), "general", N, T0 + 1)
    await store.client.hset(store.key("call", "c1"), "state", "offered")  # out of step
    await store.client.delete(store.key("call", "c2"))
    assert await store.waiting_calls() == []
    assert await store.get_call(cid("c2")) is None
    record = await store.get_call(cid("c1"))
    assert record is not None
    assert (record.state, record.agent_id, dict(record.info)) == (QueueCallState.OFFERED, None, {})


async def test_callback_request_keeps_the_place_in_line(store: RedisQueueStore) -> None:
    await store.enqueue(cid("c1"), "general", N, T0)
    await store.enqueue(cid("c2"), "general", N, T0 + 1)
    await store.request_callback(cid("c1"), "13800138000", T0 + 300)
    assert [c.call_id for c in await store.waiting_calls()] == ["c1", "c2"]
    await add_ready(store, "a1", T0, mandarin=1, general=1)
    [offer] = await store.route(T0 + 301)
    record = await store.get_call(offer.call_id)
    assert record is not None
    assert (record.call_id, record.callback_number) == ("c1", "13800138000")
    with pytest.raises(QueueStoreError, match=r"^call 'c1' is not waiting in a queue$"):
        await store.request_callback(cid("c1"), "13800138000", T0 + 302)
    assert [e.type for e in await store.events()].count("callback_requested") == 1
