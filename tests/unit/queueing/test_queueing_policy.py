"""Routing policy: exact decisions on small cases, and properties with hypothesis."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from queueing.config import ExitOption, PriorityClass, QueueConfig, parse_queues
from queueing.policy import (
    AgentId,
    Assignment,
    CallKey,
    FreeAgent,
    WaitingCall,
    best_agent,
    call_order,
    can_take,
    estimated_wait_s,
    exit_options,
    pick,
    pick_call,
    queue_rank,
    requirements,
    score,
    timed_out,
)

CONFIG = parse_queues(
    """
routing: {aging_weight: 1.0, classes: {vip: 60, normal: 0}}
queues:
  desk:
    skills: {emergency_order: 3}
    max_wait_s: 100
    overflow:
      - {after_s: 10, skills: {licensed: 1}}
      - {after_s: 50, offer: [callback, voice_message]}
  general:
    skills: {general: 2}
    strategy: fewest_calls
    overflow:
      - {after_s: 30, relax: {general: 1}}
      - {after_s: 60, queue: english}
      - {after_s: 90, offer: [callback]}
      - {after_s: 95, offer: [voice_message, callback]}
  english: {skills: {english: 1}, strategy: round_robin}
  vip: {skills: {vip: 1}, strategy: highest_skill}
"""
)
E, V, N = PriorityClass.EMERGENCY, PriorityClass.VIP, PriorityClass.NORMAL


def call(cid: str, queue: str = "general", prio: PriorityClass = N, at: float = 0.0) -> WaitingCall:
    return WaitingCall(CallKey(cid), queue, prio, at)


def agent(
    aid: str, idle: float = 0.0, handled: int = 0, offer: float = 0.0, **skills: int
) -> FreeAgent:
    return FreeAgent(
        AgentId(aid), skills, idle_since_s=idle, calls_handled=handled, last_offer_s=offer
    )


def pairs(result: list[Assignment]) -> list[tuple[str, str]]:
    return [(a.call_id, a.agent_id) for a in result]


# -- exact cases -------------------------------------------------------------------------------
def test_emergency_goes_first_to_the_desk_agent() -> None:
    calls = [call(f"n{i}", "general", N, at=i) for i in range(50)] + [call("e", "desk", E, 99)]
    agents = [agent("desk1", emergency_order=3, general=2), agent("g1", idle=5, general=2)]
    assert pairs(pick(CONFIG, calls, agents, 100.0)) == [("e", "desk1"), ("n0", "g1")]


def test_vip_points_then_aging_decide_between_vip_and_normal() -> None:
    normal_old, vip_new = call("n", "general", N, at=0), call("v", "general", V, at=50)
    assert call_order([normal_old, vip_new], CONFIG.routing) == [vip_new, normal_old]
    normal_older = call("n2", "general", N, at=-20)  # waited 60+ s longer than the vip
    assert call_order([vip_new, normal_older], CONFIG.routing)[0] == normal_older
    assert score(vip_new, CONFIG.routing, 100) == 110.0
    assert score(call("e", "desk", E, 90), CONFIG.routing, 100) == 1e13 + 10


def test_ties_break_by_wait_then_id() -> None:
    requeued = WaitingCall(CallKey("r"), "general", N, enqueued_at_s=5.0, order_at_s=-1.0)
    same = [call("b", at=0), call("a", at=0), requeued]
    assert [c.call_id for c in call_order(same, CONFIG.routing)] == ["r", "a", "b"]


def test_overflow_steps_widen_by_original_wait() -> None:
    licensed = agent("lic", licensed=1)
    emergency = call("e", "desk", E, at=0.0)
    assert not can_take(CONFIG, licensed, emergency, 9.9)
    assert can_take(CONFIG, licensed, emergency, 10.0)
    junior, english = agent("j", general=1), agent("en", english=1)
    normal = call("n", at=0.0)
    assert [can_take(CONFIG, junior, normal, t) for t in (29.0, 30.0)] == [False, True]
    assert [can_take(CONFIG, english, normal, t) for t in (59.0, 60.0)] == [False, True]
    assert requirements(CONFIG, CONFIG.queues["general"], 60.0) == ({"general": 1}, {"english": 1})


def test_exit_options_and_timeout() -> None:
    general = CONFIG.queues["general"]
    assert exit_options(general, 89) == ()
    assert exit_options(general, 90) == (ExitOption.CALLBACK,)
    assert exit_options(general, 95) == (ExitOption.CALLBACK, ExitOption.VOICE_MESSAGE)
    desk = CONFIG.queues["desk"]
    assert (
        timed_out(desk, call("e", "desk", E, 0), 100),
        timed_out(desk, call("e", "desk", E, 0), 101),
    ) == (
        False,
        True,
    )


def test_strategies_choose_among_able_agents() -> None:
    longest_idle = [agent("b", idle=5, emergency_order=3), agent("a", idle=9, emergency_order=3)]
    assert best_agent(CONFIG, call("e", "desk", E), longest_idle, 10).agent_id == "b"  # type: ignore[union-attr]
    fewest = [agent("a", idle=1, handled=4, general=2), agent("b", idle=9, handled=2, general=2)]
    assert best_agent(CONFIG, call("g"), fewest, 10).agent_id == "b"  # type: ignore[union-attr]
    rr = [agent("a", offer=8, english=1), agent("b", offer=3, english=1)]
    assert best_agent(CONFIG, call("x", "english"), rr, 10).agent_id == "b"  # type: ignore[union-attr]
    skilled = [agent("a", vip=2), agent("b", vip=5), agent("c", vip=5)]
    assert best_agent(CONFIG, call("v", "vip", V), skilled, 10).agent_id == "b"  # type: ignore[union-attr]
    assert best_agent(CONFIG, call("v", "vip", V), [agent("x", general=5)], 10) is None


def test_pick_call_for_a_newly_ready_agent() -> None:
    calls = [call("n", at=0), call("v", "vip", V, at=5), call("e", "desk", E, at=9)]
    assert pick_call(CONFIG, agent("a", general=2, vip=1), calls, 10) == calls[1]
    assert pick_call(CONFIG, agent("b", english=1), calls, 10) is None


def test_unknown_queue_and_duplicate_calls_are_skipped() -> None:
    calls = [call("x", "gone"), call("n"), call("n", at=5)]
    agents = [agent("a", general=2), agent("b", general=2)]
    assert pairs(pick(CONFIG, calls, agents, 10)) == [("n", "a")]


def test_estimated_wait() -> None:
    assert estimated_wait_s(3, [100.0, 200.0], 2) == 225.0
    assert estimated_wait_s(1, [], 2) is None
    assert estimated_wait_s(1, [10.0], 0) is None


def test_rank_is_the_order_policy_uses() -> None:
    rules = CONFIG.routing
    assert queue_rank(E, 100.0, rules) < queue_rank(V, -1e9, rules)
    assert queue_rank(V, 100.0, rules) == 40.0
    assert queue_rank(N, 100.0, rules) == 100.0


# -- properties --------------------------------------------------------------------------------
# bounded examples, no deadline: the machine is shared and timing is not what is tested
PROPERTY = settings(max_examples=40, deadline=None)
QUEUES = sorted(CONFIG.queues)
SKILLS = ["emergency_order", "licensed", "general", "english", "vip"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[WaitingCall], list[FreeAgent], float]:
    n_calls = draw(st.integers(0, 25))
    calls = [
        WaitingCall(
            CallKey(f"c{i:02d}"),
            draw(st.sampled_from(QUEUES)),
            draw(st.sampled_from(list(PriorityClass))),
            float(draw(st.integers(0, 120))),
        )
        for i in range(n_calls)
    ]
    n_agents = draw(st.integers(0, 8))
    agents = [
        FreeAgent(
            AgentId(f"a{i}"),
            draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)),
            idle_since_s=float(draw(st.integers(0, 100))),
            calls_handled=draw(st.integers(0, 5)),
            last_offer_s=float(draw(st.integers(0, 100))),
        )
        for i in range(n_agents)
    ]
    return calls, agents, 120.0 + draw(st.integers(0, 60))


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_pick_is_deterministic(scenario, rnd: random.Random) -> None:
    calls, agents, now = scenario
    shuffled_calls, shuffled_agents = list(calls), list(agents)
    rnd.shuffle(shuffled_calls)
    rnd.shuffle(shuffled_agents)
    assert pick(CONFIG, shuffled_calls, shuffled_agents, now) == pick(CONFIG, calls, agents, now)


@PROPERTY
@given(scenarios())
def test_agents_only_get_calls_they_have_the_skills_for(scenario) -> None:
    calls, agents, now = scenario
    by_call = {c.call_id: c for c in calls}
    by_agent = {a.agent_id: a for a in agents}
    result = pick(CONFIG, calls, agents, now)
    assert len({a.call_id for a in result}) == len(result)  # no call to two agents
    assert len({a.agent_id for a in result}) == len(result)  # no agent offered two calls
    for pair in result:
        assert can_take(CONFIG, by_agent[pair.agent_id], by_call[pair.call_id], now)


@PROPERTY
@given(scenarios())
def test_no_call_is_passed_over_for_a_lower_one(scenario) -> None:
    """If call B got agent X, every call ranked above B that X could take got an agent."""
    calls, agents, now = scenario
    result = pick(CONFIG, calls, agents, now)
    assigned = {a.call_id: a.agent_id for a in result}
    by_agent = {a.agent_id: a for a in agents}
    ordered = call_order(calls, CONFIG.routing)
    for index, lower in enumerate(ordered):
        if lower.call_id not in assigned:
            continue
        taker = by_agent[assigned[lower.call_id]]
        for higher in ordered[:index]:
            if can_take(CONFIG, taker, higher, now):
                assert higher.call_id in assigned


@PROPERTY
@given(scenarios())
def test_pick_leaves_no_able_pair_idle(scenario) -> None:
    calls, agents, now = scenario
    result = pick(CONFIG, calls, agents, now)
    busy_calls = {a.call_id for a in result}
    busy_agents = {a.agent_id for a in result}
    for c in calls:
        for a in agents:
            if c.call_id not in busy_calls and a.agent_id not in busy_agents:
                assert not can_take(CONFIG, a, c, now)


@PROPERTY
@given(scenarios())
def test_strict_class_order(scenario) -> None:
    """Every emergency call before any other; at equal wait, vip before normal."""
    calls, _, _ = scenario
    ordered = call_order(calls, CONFIG.routing)
    classes = [c.priority for c in ordered]
    if E in classes:
        last_emergency = max(i for i, p in enumerate(classes) if p is E)
        assert all(p is E for p in classes[: last_emergency + 1])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if a.enqueued_at_s == b.enqueued_at_s:
                assert list(PriorityClass).index(a.priority) <= list(PriorityClass).index(
                    b.priority
                )


def simulate(
    config: QueueConfig, vip_per_tick: int, emergency_every: int, ticks: int
) -> dict[str, float]:
    """One all-skilled agent frees up each tick; a normal call arrives at t=0 amid a vip flood."""
    waiting = [WaitingCall(CallKey("normal"), "general", N, 0.0)]
    served: dict[str, float] = {}
    for t in range(ticks):
        now = float(t)
        waiting += [
            WaitingCall(CallKey(f"v{t}-{k}"), "general", V, now) for k in range(vip_per_tick)
        ]
        if t % emergency_every == 0:
            waiting.append(WaitingCall(CallKey(f"e{t}"), "desk", E, now))
        free = [FreeAgent(AgentId("all"), {"general": 5, "emergency_order": 5})]
        for pair in pick(config, waiting, free, now):
            served[pair.call_id] = now
            waiting = [c for c in waiting if c.call_id != pair.call_id]
    return served


@settings(max_examples=30, deadline=None)
@given(
    vip_points=st.integers(1, 20),
    aging=st.sampled_from([0.5, 1.0, 2.0]),
    vip_per_tick=st.integers(1, 3),
    emergency_every=st.integers(2, 5),
)
def test_no_starvation_of_normal_calls_under_bounded_emergency_load(
    vip_points: int, aging: float, vip_per_tick: int, emergency_every: int
) -> None:
    """Even with vip calls arriving faster than they are served, the normal call gets through.

    Ahead of it can only be emergencies and vip calls that arrived within vip_points/aging s
    of it; non-emergency service takes at least 1 - 1/emergency_every of the ticks.
    """
    config = parse_queues(
        f"routing: {{aging_weight: {aging}, classes: {{vip: {vip_points}, normal: 0}}}}\n"
        "queues: {general: {skills: {general: 1}}, desk: {skills: {emergency_order: 1}}}\n"
    )
    ahead = vip_per_tick * (vip_points / aging + 1)
    bound = (ahead + 1) * emergency_every / (emergency_every - 1) + 1
    served = simulate(config, vip_per_tick, emergency_every, int(bound) + 2)
    assert "normal" in served
    assert served["normal"] <= bound


@PROPERTY
@given(scenarios())
def test_pick_equals_the_plain_greedy_definition(scenario) -> None:
    """Each call, in serving order, gets the best able agent still free."""
    calls, agents, now = scenario
    free = list(agents)
    expected = []
    for c in call_order(calls, CONFIG.routing):
        chosen = best_agent(CONFIG, c, free, now)
        if chosen is not None:
            free.remove(chosen)
            expected.append(Assignment(c.call_id, chosen.agent_id))
    assert pick(CONFIG, calls, agents, now) == expected
