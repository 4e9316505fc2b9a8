"""`GET /api/reports/intervals` and `/api/reports/today` over real call records (SQLite and
PostgreSQL), a real redis-server and the HTTP API: roles, every 400 naming its field, the CSV
export parsed back and equal to the JSON, the wallboard history with the thresholds."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ivr.store import CallRowId, CallStore
from ivr.store.users import UserStore
from ivr.web.api import ApiDeps, add_api_routes
from ivr.web.api_reports import report_deps
from queueing.config import parse_queues
from queueing.store import RedisQueueStore
from tests.integration.web.conftest import QUEUES_YAML, USERS, FakeClock

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 10, 7, tzinfo=SH)  # a Saturday morning, local time


@dataclass
class Entry:
    node: str
    kind: str
    detail: dict[str, Any]
    at: datetime


@dataclass
class Reports:
    client: TestClient[web.Request, web.Application]
    calls: CallStore
    queues: RedisQueueStore
    tokens: dict[str, str]

    async def get(self, path: str, user: str = "sue") -> tuple[int, Any, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        async with self.client.get(path, headers=headers) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json(), resp.headers
            return resp.status, await resp.read(), resp.headers


def at(hhmmss: str, day: int = 5) -> datetime:
    return datetime.fromisoformat(f"2026-12-{day:02d}T{hhmmss}").replace(tzinfo=SH)


async def seed(
    calls: CallStore,
    queue: str,
    entered: datetime,
    exit_kind: str,
    exit_at: datetime,
    ended: datetime,
    caller: str = "13900000000",
) -> CallRowId:
    """A call that waited in `queue` from `entered` and left by `exit_kind` at `exit_at`."""
    cid = await calls.create_call(
        channel_id=f"ch-{uuid.uuid4().hex[:8]}", caller=caller, dialed="95555", language="zh-CN",
        flow="hotline", call_id=uuid.uuid4().hex, started_at=entered.replace(second=0),
    )  # fmt: skip
    await calls.set_queue(cid, queue, "normal")
    entries = [Entry("q", "enqueue", {"queue": queue, "priority": "normal"}, entered)]
    if exit_kind == "abandoned":
        entries.append(Entry("q", "end", {"outcome": "abandoned", "queue": queue}, exit_at))
    else:
        entries.append(Entry("q", "queue", {"outcome": exit_kind, "queue": queue}, exit_at))
    await calls.append_trace(cid, entries)
    await calls.close_call(cid, "answered" if exit_kind == "answered" else exit_kind, None, ended)
    return cid


@pytest.fixture
async def reports(redis_server: str, db_url: str, tmp_path: Path) -> AsyncIterator[Reports]:
    config = parse_queues(QUEUES_YAML)
    queues = RedisQueueStore.from_url(
        redis_server, config, prefix=f"t{uuid.uuid4().hex[:8]}:", day_zone=SH
    )
    calls = await CallStore.open(db_url)
    users = UserStore(calls.engine)
    clock = FakeClock(NOW.timestamp())
    app = web.Application()
    add_api_routes(app, ApiDeps(queues, calls, users, clock))
    (tmp_path / "wallboard.yaml").write_text("longest_wait_s: {amber_above: 20, red_above: 40}\n")
    report_deps(app, calls, queues, clock, tmp_path)
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    tokens = {name: await users.add_user(name, r, a) for name, (r, a) in USERS.items()}
    await seed(calls, "general", at("09:00:05"), "answered", at("09:00:15"), at("09:04:15"))
    await seed(calls, "general", at("09:14:59"), "abandoned", at("09:15:40"), at("09:15:40"))
    await seed(calls, "trading_support", at("09:20:00"), "answered", at("09:20:30"), at("09:22"))
    await seed(calls, "general", at("23:50:00", 4), "answered", at("23:50:05", 4), at("23:55", 4))
    try:
        yield Reports(client, calls, queues, tokens)
    finally:
        await client.close()
        await queues.close()
        await calls.close()


async def test_json_report_per_queue_and_total(reports: Reports) -> None:
    status, body, _ = await reports.get(
        "/api/reports/intervals?from=2026-12-05T09:00&to=2026-12-05T09:30"
    )
    assert status == 200
    assert (body["from"], body["to"]) == ("2026-12-05T09:00:00+08:00", "2026-12-05T09:30:00+08:00")
    assert (body["zone"], body["bucket_minutes"]) == ("Asia/Shanghai", 15)
    assert body["queues"] == ["general", "trading_support"]
    figures = [
        (r["interval_start"][11:16], r["queue"], r["offered"], r["answered"], r["abandoned"],
         r["answered_in_sl"], r["service_level_pct"], r["longest_wait_s"], r["avg_handle_s"])
        for r in body["rows"]
    ]  # fmt: skip
    assert figures == [
        ("09:00", "general", 2, 1, 1, 1, 100.0, 41.0, 240.0),
        ("09:00", "trading_support", 0, 0, 0, 0, None, None, None),
        ("09:15", "general", 0, 0, 0, 0, None, None, None),
        ("09:15", "trading_support", 1, 1, 0, 0, 0.0, 30.0, 90.0),
    ]
    assert [(t["queue"], t["offered"], t["abandon_rate_pct"]) for t in body["totals"]] == [
        ("(all)", 2, 50.0),
        ("(all)", 1, 0.0),
    ]


async def test_default_is_the_last_seven_days_and_one_queue_can_be_chosen(
    reports: Reports,
) -> None:
    status, body, _ = await reports.get("/api/reports/intervals?queue=general")
    assert status == 200
    assert (body["from"], body["to"]) == ("2026-11-29T00:00:00+08:00", "2026-12-05T10:15:00+08:00")
    assert (len(body["rows"]), body["totals"]) == (6 * 96 + 41, [])
    busy = [(r["interval_start"], r["offered"]) for r in body["rows"] if r["offered"]]
    assert busy == [("2026-12-04T23:45:00+08:00", 1), ("2026-12-05T09:00:00+08:00", 2)]


async def test_csv_export_parses_back_to_the_json(reports: Reports) -> None:
    query = "from=2026-12-04T23:00:00%2B08:00&to=2026-12-05T10:00"
    status, raw, headers = await reports.get(f"/api/reports/intervals?{query}&format=csv", "carl")
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == (
        'attachment; filename="intervals-20261204T2300-20261205T1000.csv"'
    )
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    _, body, _ = await reports.get(f"/api/reports/intervals?{query}", "carl")
    expected = [
        {k: "" if v is None else str(v) for k, v in row.items()}
        for row in [*body["rows"], *body["totals"]]
    ]
    assert table == expected
    assert len(table) == 44 * 3  # 11 hours x 4 intervals x (2 queues + total)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-12-5", "from", "'from' must be an ISO date or time, e.g. 2026-12-01 or "
         "2026-12-01T09:30 (local time) or 2026-12-01T09:30:00+08:00"),
        ("to=20261205", "to", "'to' must be an ISO date or time"),
        ("from=2026-02-30", "from", "'from' must be an ISO date or time"),
        ("from=2026-12-05T25:00", "from", "'from' must be an ISO date or time"),
        ("from=2026-12-05&to=2026-12-04", "to", "'to' (2026-12-04T00:00:00+08:00) must be after "
         "'from' (2026-12-05T00:00:00+08:00)"),
        ("from=2026-10-01&to=2026-11-02", "to", "'from' to 'to' spans 32 days, 0:00:00; at most "
         "31 days per report"),
        ("from=9999-12-31T00:00&to=9999-12-31T23:59", "from", "'from' must be in the years 2000 "
         "to 2100"),
        ("from=2026-12-01&to=0001-01-01", "to", "'to' must be in the years 2000 to 2100"),
        ("format=xlsx", "format", "'format' must be json or csv, not 'xlsx'"),
        ("queue=nope", "queue", "'queue': no queue 'nope' (queues: general, trading_support)"),
    ],
)  # fmt: skip
async def test_bad_queries_are_400_naming_the_field(
    reports: Reports, query: str, field: str, message: str
) -> None:
    status, body, _ = await reports.get(f"/api/reports/intervals?{query}")
    assert status == 400
    assert (body["error"], body["details"]) == ("invalid-query", {"field": field})
    assert body["message"].startswith(message)


async def test_roles(reports: Reports) -> None:
    for user, expected in (("alice", 403), ("sue", 200), ("adam", 200), ("carl", 200)):
        status, _, _ = await reports.get("/api/reports/intervals?from=2026-12-05", user)
        assert status == expected, user
    for user, expected in (("alice", 403), ("carl", 403), ("sue", 200)):
        status, _, _ = await reports.get("/api/reports/today", user)
        assert status == expected, user
    async with reports.client.get("/api/reports/intervals") as resp:
        assert resp.status == 401


async def test_today_gives_the_chart_its_intervals_and_the_thresholds(reports: Reports) -> None:
    status, body, _ = await reports.get("/api/reports/today")
    assert status == 200
    assert (body["date"], body["now"]) == ("2026-12-05", "2026-12-05T02:07:00+00:00")
    assert len(body["intervals"]) == 41  # 00:00 .. 10:00, the current one included
    assert (body["intervals"][36]["offered"], body["intervals"][37]["max_waiting"]) == (2, 1)
    assert body["waiting_now"] == 0
    assert body["thresholds"]["longest_wait_s"] == {"amber_above": 20.0, "red_above": 40.0}
    assert body["thresholds"]["service_level_pct"] == {"amber_below": 80.0, "red_below": 60.0}
