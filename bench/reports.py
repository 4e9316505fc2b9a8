"""Interval report benchmark: how long the 7-day report takes over a week of queued calls.

Rules: a benchmark, not a test: it reads the wall clock and prints figures. It seeds `--calls`
queued calls spread over the last 7 days into a fresh SQLite file (or `--db URL`), each with
its `enqueue`, `queue`/`end` trace entries (three in four answered, one in eight abandoned, the
rest timed out), then times the two halves of `GET /api/reports/intervals`: the store read
(`ReportStore.queue_facts`) and the pure counting (`offers_from` + `intervals`) for 5 queues,
and the CSV formatting. The LAST line printed is one JSON object:
{"calls", "rows", "read_ms", "count_ms", "csv_ms", "total_ms"}.

    .venv/bin/python -m bench.reports --calls 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from ivr.queue.intervals import ceil_bucket, floor_bucket, intervals, offers_from
from ivr.store import CallStore
from ivr.store.models import CallRow, TraceRow
from ivr.store.reports import ENQUEUE_LOOKBACK, ReportStore
from ivr.web.api_reports import rows_csv

ZONE = ZoneInfo("Asia/Shanghai")
QUEUES = ("general", "vip", "account_services", "trading_support", "complaints")


async def seed(store: CallStore, calls: int, now: datetime) -> None:
    rng = random.Random(7)
    call_rows, trace_rows = [], []
    for _ in range(calls):
        cid = uuid.uuid4().hex
        start = now - timedelta(seconds=rng.uniform(0, 7 * 86400 - 3600))
        entered = start + timedelta(seconds=rng.uniform(10, 90))
        waited = timedelta(seconds=rng.expovariate(1 / 25))
        roll, queue = rng.random(), rng.choice(QUEUES)
        kind, outcome = (
            ("queue", "answered") if roll < 0.75 else ("end", "abandoned")
            if roll < 0.875 else ("queue", "timeout")
        )  # fmt: skip
        ended = entered + waited + timedelta(seconds=rng.uniform(30, 400))
        call_rows.append({
            "id": cid, "channel_id": cid[:12], "caller": f"139{rng.randrange(10**8):08d}",
            "dialed": "95555", "language": "zh-CN", "flow": "hotline", "started_at": start,
            "answered_at": start, "ended_at": ended, "outcome": outcome, "queue": queue,
            "priority": "normal",
        })  # fmt: skip
        trace_rows += [
            {"call_id": cid, "seq": 1, "at": entered, "flow": "hotline", "node": "q",
             "kind": "enqueue", "detail": {"queue": queue}},
            {"call_id": cid, "seq": 2, "at": entered + waited, "flow": "hotline", "node": "q",
             "kind": kind, "detail": {"queue": queue, "outcome": outcome}},
        ]  # fmt: skip
    async with store.engine.begin() as conn:
        await conn.execute(insert(CallRow), call_rows)
        await conn.execute(insert(TraceRow), trace_rows)


async def run(calls: int, db: str | None) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = await CallStore.open(db or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            now = datetime.now(UTC)
            await seed(store, calls, now)
            end = ceil_bucket(now, ZONE)
            start = floor_bucket(end - timedelta(days=7), ZONE)
            t0 = time.perf_counter()
            facts = await ReportStore(store.engine).queue_facts(start - ENQUEUE_LOOKBACK, end)
            t1 = time.perf_counter()
            offers = [o for o in offers_from(facts) if start <= o.offered_at < end]
            rows, totals = intervals(
                offers, start=start, end=end, zone=ZONE, now=now, queues=list(QUEUES),
                within_s={q: 20.0 for q in QUEUES},
            )  # fmt: skip
            t2 = time.perf_counter()
            rows_csv([*rows, *totals])
            t3 = time.perf_counter()
        finally:
            await store.close()
    return {
        "calls": calls,
        "rows": len(rows) + len(totals),
        "read_ms": round((t1 - t0) * 1000, 1),
        "count_ms": round((t2 - t1) * 1000, 1),
        "csv_ms": round((t3 - t2) * 1000, 1),
        "total_ms": round((t3 - t0) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--db", default=None, help="a database URL (default: a temp SQLite)")
    args = parser.parse_args()
    figures = asyncio.run(run(args.calls, args.db))
    print(f"7-day interval report over {figures['calls']} queued calls, {figures['rows']} rows")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
