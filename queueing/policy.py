"""Routing policy, pure: which waiting call goes to which free agent.

Rules: facts in, decisions out. No clock (`now_s` is an argument), no I/O, no randomness: the
same inputs give the same answer whatever their order. The Redis store applies `pick()`'s
answer atomically and re-runs it when the world moved underneath.

Order of calls: every `emergency` call before any other call; then by score
`class points + waited seconds x aging_weight` (highest first), ties by longest wait, then by
call id. Because `now_s` is common to every call, that order equals ascending `queue_rank()`,
the sorted-set score the store keeps, so Redis and this module agree on who is next.

Who may take a call: an agent holding every skill of the call's queue at the minimum level,
widened by the queue's overflow steps whose `after_s` the call has waited (from its ORIGINAL
enqueue time: position and wait survive overflow steps and requeues). Among several able free
agents the call's queue strategy chooses; ties by agent id.

`pick()` walks the calls in order and gives each the best able agent still free, so a call is
never passed over for a lower one that an agent it could take went to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NewType

from queueing.definitions import (
    AddQueue,
    AddSkills,
    ExitOption,
    OfferExit,
    PriorityClass,
    QueueConfig,
    QueueDef,
    RelaxSkills,
    RoutingRules,
    Strategy,
)

CallKey = NewType("CallKey", str)
AgentId = NewType("AgentId", str)
Skills = Mapping[str, int]

# Emergency ranks are shifted this far below every other rank (seconds-scale scores stay far
# from it for any realistic clock: epoch seconds ~2e9 x aging weight).
EMERGENCY_RANK_OFFSET = 1e13


@dataclass(frozen=True, slots=True)
class WaitingCall:
    """A call waiting in `queue`.

    `enqueued_at_s` is when it first entered the queue (its wait and overflow steps count from
    there, always). `order_at_s` is the time its place in line is computed from: equal to
    `enqueued_at_s`, or earlier once re-queued at the head of its class after a no-answer.
    """

    call_id: CallKey
    queue: str
    priority: PriorityClass
    enqueued_at_s: float
    order_at_s: float | None = None

    @property
    def order_s(self) -> float:
        return self.enqueued_at_s if self.order_at_s is None else self.order_at_s


@dataclass(frozen=True, slots=True)
class FreeAgent:
    """An agent ready for a call. `idle_since_s`: end of last call (or ready since)."""

    agent_id: AgentId
    skills: Skills
    idle_since_s: float = 0.0
    calls_handled: int = 0
    last_offer_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Assignment:
    """Decision: offer `call_id` to `agent_id`."""

    call_id: CallKey
    agent_id: AgentId


def queue_rank(priority: PriorityClass, order_at_s: float, rules: RoutingRules) -> float:
    """Sorted-set score of a waiting call: lower is served first (see the module docstring)."""
    if priority is PriorityClass.EMERGENCY:
        return order_at_s * rules.aging_weight - EMERGENCY_RANK_OFFSET
    return order_at_s * rules.aging_weight - rules.class_points[priority]


def score(call: WaitingCall, rules: RoutingRules, now_s: float) -> float:
    """Class points + waited seconds x aging weight (emergency order is separate: a tier)."""
    if call.priority is PriorityClass.EMERGENCY:
        return EMERGENCY_RANK_OFFSET + (now_s - call.order_s) * rules.aging_weight
    return rules.class_points[call.priority] + (now_s - call.order_s) * rules.aging_weight


def call_order(calls: Iterable[WaitingCall], rules: RoutingRules) -> list[WaitingCall]:
    """Calls in serving order: emergency tier, then rank, then longest wait, then id."""
    return sorted(
        calls,
        key=lambda c: (
            c.priority is not PriorityClass.EMERGENCY,
            queue_rank(c.priority, c.order_s, rules),
            c.enqueued_at_s,
            c.call_id,
        ),
    )


def requirements(config: QueueConfig, queue: QueueDef, waited_s: float) -> tuple[Skills, ...]:
    """The skill sets that qualify an agent for a call of `queue` after `waited_s` (any one)."""
    base = dict(queue.skills)
    extra: list[Skills] = []
    for step in queue.overflow:
        if waited_s < step.after_s:
            break
        match step.action:
            case RelaxSkills(levels):
                base.update({s: lvl for s, lvl in levels.items() if s in base})
            case AddQueue(name):
                extra.append(config.queues[name].skills)
            case AddSkills(skills):
                extra.append(skills)
    return (base, *extra)


def exit_options(queue: QueueDef, waited_s: float) -> tuple[ExitOption, ...]:
    """Ways out offered to a caller who has waited `waited_s` (callback, voice message)."""
    offered: list[ExitOption] = []
    for step in queue.overflow:
        if waited_s >= step.after_s and isinstance(step.action, OfferExit):
            offered.extend(o for o in step.action.options if o not in offered)
    return tuple(offered)


def timed_out(queue: QueueDef, call: WaitingCall, now_s: float) -> bool:
    """True once the call has waited longer than the queue's `max_wait_s`."""
    return now_s - call.enqueued_at_s > queue.max_wait_s


def has_skills(agent: Skills, required: Skills) -> bool:
    """True if `agent` holds every required skill at its minimum level or above."""
    return all(agent.get(skill, 0) >= level for skill, level in required.items())


def can_take(config: QueueConfig, agent: FreeAgent, call: WaitingCall, now_s: float) -> bool:
    """True if `agent` may be offered `call` now (overflow steps applied by waited time)."""
    queue = config.queues[call.queue]
    needs = requirements(config, queue, now_s - call.enqueued_at_s)
    return any(has_skills(agent.skills, req) for req in needs)


def _strategy_key(
    strategy: Strategy, agent: FreeAgent, queue: QueueDef
) -> tuple[float, float, str]:
    """Smaller is preferred; the agent id breaks every tie."""
    match strategy:
        case Strategy.FEWEST_CALLS:
            return (agent.calls_handled, agent.idle_since_s, agent.agent_id)
        case Strategy.HIGHEST_SKILL:
            level = sum(agent.skills.get(s, 0) for s in queue.skills)
            return (-level, agent.idle_since_s, agent.agent_id)
        case Strategy.ROUND_ROBIN:
            return (agent.last_offer_s, agent.idle_since_s, agent.agent_id)
        case _:
            return (agent.idle_since_s, 0.0, agent.agent_id)


def best_agent(
    config: QueueConfig, call: WaitingCall, agents: Iterable[FreeAgent], now_s: float
) -> FreeAgent | None:
    """The agent the call's queue strategy prefers among those able to take it, or None."""
    queue = config.queues[call.queue]
    able = _able_ranked(config, queue, now_s - call.enqueued_at_s, agents)
    return able[0] if able else None


def pick(
    config: QueueConfig,
    calls: Iterable[WaitingCall],
    agents: Iterable[FreeAgent],
    now_s: float,
) -> list[Assignment]:
    """Pair waiting calls with free agents, best call first; each call and agent at most once.

    Same answer as giving each call, in `call_order`, its `best_agent` among those still free;
    able agents are ranked once per (queue, overflow steps passed), so the cost stays near
    O(calls + agents x rankings). Calls of queues unknown to `config` are skipped (a stale
    entry must not stop routing).
    """
    everyone = sorted(agents, key=lambda a: a.agent_id)
    free = {a.agent_id for a in everyone}
    ranked: dict[tuple[str, int], _Ranking] = {}
    out: list[Assignment] = []
    known = [c for c in calls if c.queue in config.queues]
    for call in call_order(_unique(known), config.routing):
        if not free:
            break
        queue = config.queues[call.queue]
        waited_s = now_s - call.enqueued_at_s
        key = (call.queue, steps_passed(queue, waited_s))
        if key not in ranked:
            ranked[key] = _Ranking(_able_ranked(config, queue, waited_s, everyone))
        agent = ranked[key].first_free(free)
        if agent is not None:
            free.discard(agent.agent_id)
            out.append(Assignment(call.call_id, agent.agent_id))
    return out


def steps_passed(queue: QueueDef, waited_s: float) -> int:
    """How many of the queue's overflow steps apply after `waited_s` (steps grow in after_s)."""
    return sum(1 for step in queue.overflow if waited_s >= step.after_s)


def _able_ranked(
    config: QueueConfig, queue: QueueDef, waited_s: float, agents: Iterable[FreeAgent]
) -> list[FreeAgent]:
    needs = requirements(config, queue, waited_s)
    able = [a for a in agents if any(has_skills(a.skills, req) for req in needs)]
    return sorted(able, key=lambda a: _strategy_key(queue.strategy, a, queue))


class _Ranking:
    """Able agents in preference order, with a cursor past those already taken."""

    def __init__(self, agents: list[FreeAgent]) -> None:
        self.agents = agents
        self.cursor = 0

    def first_free(self, free: set[AgentId]) -> FreeAgent | None:
        while self.cursor < len(self.agents):
            agent = self.agents[self.cursor]
            if agent.agent_id in free:
                return agent
            self.cursor += 1
        return None


def pick_call(
    config: QueueConfig, agent: FreeAgent, calls: Iterable[WaitingCall], now_s: float
) -> WaitingCall | None:
    """The best waiting call `agent` may take (an agent just became ready), or None."""
    for call in call_order(calls, config.routing):
        if call.queue in config.queues and can_take(config, agent, call, now_s):
            return call
    return None


def estimated_wait_s(position: int, handle_times_s: Sequence[float], agents: int) -> float | None:
    """Expected wait of the caller at 1-based `position`: mean handle time x position / agents.

    None when there is no handle-time history or nobody is logged in to serve the queue.
    """
    if not handle_times_s or agents <= 0 or position <= 0:
        return None
    mean_s = sum(handle_times_s) / len(handle_times_s)
    return mean_s * position / agents


def _unique(calls: Iterable[WaitingCall]) -> list[WaitingCall]:
    """One entry per call id (the first), so a duplicated fact cannot double-book."""
    seen: dict[CallKey, WaitingCall] = {}
    for call in calls:
        seen.setdefault(call.call_id, call)
    return list(seen.values())
