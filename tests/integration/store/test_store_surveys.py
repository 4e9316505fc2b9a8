"""Survey rows and the survey report, on SQLite and on PostgreSQL (`db_url`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.store import CallStore
from ivr.store.surveys import SurveyStore, report

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[SurveyStore]:
    calls = await CallStore.open(db_url)  # migrates
    yield SurveyStore(calls.engine)
    await calls.close()


async def test_offers_answers_partial_answers_and_the_report(store: SurveyStore) -> None:
    await store.offered("c1", "inbound", "a-1", "general", T0)
    await store.answered("c1", "inbound", T0 + timedelta(seconds=5), score=4)
    await store.answered("c1", "inbound", T0 + timedelta(seconds=9), solved=True)
    await store.offered("c1", "inbound", "a-9", "vip", T0 + timedelta(hours=1))  # kept as first
    await store.offered("c2", "inbound", "a-1", "general", T0 + timedelta(minutes=1))
    await store.answered("c2", "inbound", T0 + timedelta(minutes=2), score=2)  # no yes/no
    await store.offered("c3", "inbound", "a-2", "vip", T0 + timedelta(minutes=3))  # no answer
    await store.offered("c1", "outbound", None, None, T0 + timedelta(days=1))
    await store.answered("c1", "outbound", T0 + timedelta(days=1), score=5, solved=False)
    rows = await store.rows(T0, T0 + timedelta(days=2))
    assert [(r.call_id, r.channel, r.agent_id, r.score, r.solved) for r in rows] == [
        ("c1", "inbound", "a-1", 4, True),
        ("c2", "inbound", "a-1", 2, None),
        ("c3", "inbound", "a-2", None, None),
        ("c1", "outbound", None, 5, False),
    ]
    assert rows[0].answered_at == T0 + timedelta(seconds=9)
    assert await store.rows(T0 + timedelta(minutes=4), T0 + timedelta(hours=2)) == []
    by_agent = [g.as_json() for g in report(rows, "agent", SH)]
    assert by_agent == [
        {"key": "-", "offered": 1, "count": 1, "mean_score": 5.0,
         "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
         "solved_yes": 0, "solved_no": 1, "response_rate": 1.0},
        {"key": "a-1", "offered": 2, "count": 2, "mean_score": 3.0,
         "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0},
         "solved_yes": 1, "solved_no": 0, "response_rate": 1.0},
        {"key": "a-2", "offered": 1, "count": 0, "mean_score": None,
         "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
         "solved_yes": 0, "solved_no": 0, "response_rate": 0.0},
    ]  # fmt: skip
    by_day = {g.key: (g.offered, g.count) for g in report(rows, "day", SH)}
    assert by_day == {"2026-12-07": (3, 2), "2026-12-08": (1, 1)}


async def test_an_answer_without_an_offer_makes_the_row(store: SurveyStore) -> None:
    await store.answered("c9", "outbound", T0, score=3)
    (row,) = await store.rows(T0, T0 + timedelta(seconds=1))
    assert (row.call_id, row.score, row.solved, row.offered_at) == ("c9", 3, None, T0)
