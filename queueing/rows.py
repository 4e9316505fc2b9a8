"""Rows of the queue store: Redis hash fields decoded into the records of `queueing.model`.

Rules: pure (no I/O, no clock); every field list here is the order the store reads a hash in
(`HMGET`) and the order the Lua snapshot returns; a row missing its id or state is None (a
stale or half-written key), never an exception. Keys and fields are described in
`queueing.store`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from queueing import policy
from queueing.definitions import PriorityClass, RoutingRules
from queueing.model import (
    AgentProfile,
    AgentRecord,
    AgentState,
    CallRecord,
    QueueCallState,
    QueueStats,
)
from queueing.policy import AgentId, CallKey, FreeAgent, WaitingCall

CALL_FIELDS = ("call_id", "queue", "priority", "state", "enqueued_at_s", "order_at_s", "agent_id")
RECORD_FIELDS = (*CALL_FIELDS, "info", "callback_number")
AGENT_FIELDS = (
    "agent_id",
    "name",
    "endpoint",
    "skills",
    "state",
    "reason",
    "state_since_s",
    "calls_handled",
    "last_call_end_s",
    "last_offer_s",
    "call_id",
    "unanswered",
)
SNAPSHOT_CALL_WIDTH = 5  # queue class call_id rank enqueued_at_s (snapshot.lua)
SNAPSHOT_AGENT_WIDTH = 7  # agent_id endpoint skills since last_end handled last_offer


def text(value: object) -> str | None:
    """A reply value as text (the client decodes; bytes only if configured otherwise)."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def texts(values: Iterable[object]) -> list[str | None]:
    return [text(v) for v in values]


def _float(value: str | None, default: float = 0.0) -> float:
    return float(value) if value else default


def agent_record(values: Sequence[str | None]) -> AgentRecord | None:
    row = dict(zip(AGENT_FIELDS, values, strict=True))
    if not row["agent_id"] or not row["state"]:
        return None
    skills = {k: int(v) for k, v in json.loads(row["skills"] or "{}").items()}
    profile = AgentProfile(
        AgentId(row["agent_id"]),
        row["name"] or "",
        row["endpoint"] or "",
        MappingProxyType(skills),
    )
    return AgentRecord(
        profile=profile,
        state=AgentState(row["state"]),
        reason=row["reason"] or "",
        state_since_s=_float(row["state_since_s"]),
        calls_handled=int(row["calls_handled"] or 0),
        last_call_end_s=_float(row["last_call_end_s"]),
        last_offer_s=_float(row["last_offer_s"]),
        call_id=CallKey(row["call_id"]) if row["call_id"] else None,
        unanswered=int(row["unanswered"] or 0),
    )


def snapshot_call(rules: RoutingRules, row: Sequence[str | None]) -> WaitingCall:
    queue, cls, call_id, rank, enqueued = (v or "0" for v in row)
    priority = PriorityClass(cls)
    offset = policy.EMERGENCY_RANK_OFFSET if priority is PriorityClass.EMERGENCY else None
    points = offset if offset is not None else rules.class_points[priority]
    order_at_s = (float(rank) + points) / rules.aging_weight
    return WaitingCall(CallKey(call_id), queue, priority, float(enqueued), order_at_s)


@functools.lru_cache(maxsize=4096)
def skill_levels(skills: str) -> Mapping[str, int]:
    """An agent's skills JSON as a read-only mapping; parsed once per distinct text (a
    routing pass reads every ready agent's, and profiles rarely change)."""
    return MappingProxyType({k: int(v) for k, v in json.loads(skills or "{}").items()})


def snapshot_agent(row: Sequence[str | None]) -> tuple[FreeAgent, str]:
    agent_id, endpoint, skills, since, last_end, handled, last_offer = (v or "" for v in row)
    agent = FreeAgent(
        AgentId(agent_id),
        skill_levels(skills),
        idle_since_s=max(_float(since), _float(last_end)),
        calls_handled=int(handled or 0),
        last_offer_s=_float(last_offer),
    )
    return agent, endpoint


def call_record(values: Sequence[str | None]) -> CallRecord | None:
    row = dict(zip(RECORD_FIELDS, values, strict=True))
    if not row["call_id"] or not row["queue"] or not row["state"]:
        return None
    info = {str(k): str(v) for k, v in json.loads(row["info"] or "{}").items()}
    return CallRecord(
        call_id=CallKey(row["call_id"]),
        queue=row["queue"],
        priority=PriorityClass(row["priority"] or PriorityClass.NORMAL.value),
        state=QueueCallState(row["state"]),
        enqueued_at_s=_float(row["enqueued_at_s"]),
        order_at_s=_float(row["order_at_s"]),
        agent_id=AgentId(row["agent_id"]) if row["agent_id"] else None,
        info=MappingProxyType(info),
        callback_number=row["callback_number"] or None,
    )


def waiting_call(values: Sequence[str | None]) -> WaitingCall | None:
    record = call_record([*values, None, None])
    if record is None or record.state is not QueueCallState.WAITING:
        return None
    return WaitingCall(
        record.call_id, record.queue, record.priority, record.enqueued_at_s, record.order_at_s
    )


def _pct(part: float, whole: float) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def queue_stats(
    queue: str,
    waiting: int,
    longest_s: float,
    by_state: dict[AgentState, int],
    counters: Mapping[str, str],
) -> QueueStats:
    def count(field: str) -> int:
        return int(float(counters.get(field, "0")))

    answered, abandoned = count("answered"), count("abandoned")
    return QueueStats(
        queue=queue,
        waiting=waiting,
        longest_wait_s=longest_s,
        agents_by_state=MappingProxyType(by_state),
        entered=count("entered"),
        answered=answered,
        abandoned=abandoned,
        timed_out=count("timed_out"),
        service_level_pct=_pct(count("answered_in_sl"), answered),
        abandon_rate_pct=_pct(abandoned, answered + abandoned),
    )
