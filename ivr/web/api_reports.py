"""Report routes: interval reports of the queues (JSON or CSV) and today's history for the
wallboard chart (docs/reports.md).

- `GET /api/reports/intervals?from=&to=&queue=&format=json|csv`: 15-minute rows per queue and
  totals, from the SQL call records (`ivr.store.reports` reads, `ivr.queue.intervals` counts).
  Default range: the last 7 days (from local midnight six days ago to the end of the current
  interval). `from`/`to` are strict ISO dates or times (`2026-12-01`, `2026-12-01T09:30`,
  `2026-12-01T09:30:00+08:00`); without an offset they are local time of the statistics zone
  (the queue store's day zone, Asia/Shanghai by default); they are widened to whole intervals.
- `GET /api/reports/today`: today's intervals (totals) with the callers waiting now, for the
  wallboard chart, and the wallboard's colour thresholds (`config/wallboard.yaml`).

Rules: supervisors, admins and compliance read reports (the history for the wallboard:
supervisors and admins); every bad query is a 400 `invalid-query` naming the field.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time as time_
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from aiohttp import web

from ivr.queue.intervals import (
    BUCKET,
    IntervalRow,
    ceil_bucket,
    floor_bucket,
    intervals,
    offers_from,
)
from ivr.queue.thresholds import WallboardThresholds, load_thresholds
from ivr.store import CallStore
from ivr.store.reports import ENQUEUE_LOOKBACK, ReportStore
from ivr.web.api import API_ROUTES
from ivr.web.api_common import NowClock, Route, ok
from ivr.web.api_contacts import add_contact_routes
from ivr.web.auth import ROLE_ADMIN, ROLE_COMPLIANCE, ROLE_SUPERVISOR, require_roles
from ivr.web.errors import ApiError
from queueing.store import RedisQueueStore

REPORT_ROLES = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})
WALLBOARD_ROLES = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
MAX_SPAN = timedelta(days=31)
YEARS = (2000, 2100)  # no report reaches past them (and no date arithmetic overflows)
DEFAULT_DAYS = 7
FORMATS = ("json", "csv")
WALLBOARD_FILE = "wallboard.yaml"
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?",
    re.ASCII,
)
CSV_COLUMNS = (
    "interval_start", "interval_end", "queue", "offered", "answered", "abandoned",
    "answered_in_sl", "service_level_pct", "abandon_rate_pct", "avg_wait_s", "longest_wait_s",
    "avg_handle_s", "max_waiting",
)  # fmt: skip


class SystemTime:
    """Real time: the call records are stamped with it (also when the app's clock is sped up
    for tests), so reports count on it too."""

    def now_s(self) -> float:
        return time_.time()


@dataclass(frozen=True, slots=True)
class ReportDeps:
    reports: ReportStore
    queues: RedisQueueStore
    clock: NowClock
    thresholds: WallboardThresholds


def parse_when(raw: str, field: str, zone: tzinfo) -> datetime:
    """A strict ISO date or date-time (local to `zone` without an offset), or a 400."""
    value: datetime | None = None
    if _ISO.fullmatch(raw):
        try:
            value = (
                datetime.combine(date.fromisoformat(raw), time())
                if len(raw) == 10
                else datetime.fromisoformat(raw)
            )
        except ValueError:
            value = None
    if value is None:
        raise ApiError(
            400, "invalid-query",
            f"'{field}' must be an ISO date or time, e.g. 2026-12-01 or 2026-12-01T09:30 "
            f"(local time) or 2026-12-01T09:30:00+08:00",
            field=field,
        )  # fmt: skip
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ApiError(
            400, "invalid-query", f"'{field}' must be in the years {YEARS[0]} to {YEARS[1]}",
            field=field,
        )  # fmt: skip
    return value if value.tzinfo else value.replace(tzinfo=zone)


def report_range(
    query: Mapping[str, str], now: datetime, zone: tzinfo
) -> tuple[datetime, datetime]:
    """[from, to) of a report request, widened to whole intervals, checked."""
    raw_from, raw_to = query.get("from"), query.get("to")
    if raw_from:
        start = parse_when(raw_from, "from", zone)
    else:
        today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        start = (today - timedelta(days=DEFAULT_DAYS - 1)).astimezone(zone)
    end = ceil_bucket(now, zone) if not raw_to else parse_when(raw_to, "to", zone)
    if end <= start:
        raise ApiError(
            400, "invalid-query", f"'to' ({end.isoformat()}) must be after 'from' "
            f"({start.isoformat()})", field="to",
        )  # fmt: skip
    if end - start > MAX_SPAN:
        raise ApiError(
            400, "invalid-query",
            f"'from' to 'to' spans {end - start}; at most {MAX_SPAN.days} days per report",
            field="to",
        )  # fmt: skip
    return floor_bucket(start, zone), ceil_bucket(end, zone)


def row_json(row: IntervalRow) -> dict[str, Any]:
    return {
        "interval_start": row.start.isoformat(),
        "interval_end": row.end.isoformat(),
        "queue": row.queue,
        "offered": row.offered,
        "answered": row.answered,
        "abandoned": row.abandoned,
        "answered_in_sl": row.answered_in_sl,
        "service_level_pct": row.service_level_pct,
        "abandon_rate_pct": row.abandon_rate_pct,
        "avg_wait_s": row.avg_wait_s,
        "longest_wait_s": row.longest_wait_s,
        "avg_handle_s": row.avg_handle_s,
        "max_waiting": row.max_waiting,
    }


def rows_csv(rows: Sequence[IntervalRow]) -> str:
    """CSV with a header row; an empty cell where a figure has no value (no answers...)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        body = row_json(row)
        writer.writerow(["" if body[c] is None else body[c] for c in CSV_COLUMNS])
    return out.getvalue()


class ReportRoutes:
    def __init__(self, deps: ReportDeps) -> None:
        self.deps = deps

    @property
    def zone(self) -> tzinfo:
        return self.deps.queues.day_zone

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.deps.clock.now_s(), UTC)

    def routes(self) -> list[Route]:
        return [
            Route(
                "GET", "/api/reports/intervals", self.intervals, REPORT_ROLES,
                "15-minute interval report per queue and in total (JSON or CSV)",
                query=("from:string", "to:string", "queue:string", "format:string"),
            ),
            Route(
                "GET", "/api/reports/today", self.today, WALLBOARD_ROLES,
                "Today's intervals, callers waiting now and the wallboard thresholds",
            ),
        ]  # fmt: skip

    async def _report(
        self, start: datetime, end: datetime, queues: list[str] | None
    ) -> tuple[list[IntervalRow], list[IntervalRow]]:
        facts = await self.deps.reports.queue_facts(start - ENQUEUE_LOOKBACK, end)
        config = self.deps.queues.config.queues
        within = {name: q.service_level.within_s for name, q in config.items()}
        now, zone = self.now(), self.zone

        def count() -> tuple[list[IntervalRow], list[IntervalRow]]:
            offers = [o for o in offers_from(facts) if start <= o.offered_at < end]
            names = queues if queues is not None else sorted({*config, *(o.queue for o in offers)})
            return intervals(
                offers, start=start, end=end, zone=zone, now=now, queues=names, within_s=within
            )

        # a week of a busy hotline is tens of thousands of offers: counted off the event loop
        return await asyncio.to_thread(count)

    async def intervals(self, request: web.Request) -> web.StreamResponse:
        fmt = request.query.get("format", "json")
        if fmt not in FORMATS:
            raise ApiError(
                400, "invalid-query", f"'format' must be json or csv, not '{fmt[:40]}'",
                field="format",
            )  # fmt: skip
        start, end = report_range(request.query, self.now(), self.zone)
        queue = request.query.get("queue")
        if queue is not None and queue not in self.deps.queues.config.queues:
            known = ", ".join(sorted(self.deps.queues.config.queues))
            raise ApiError(
                400, "invalid-query", f"'queue': no queue '{queue[:64]}' (queues: {known})",
                field="queue",
            )  # fmt: skip
        rows, totals = await self._report(start, end, None if queue is None else [queue])
        if queue is not None:
            totals = []
        if fmt == "csv":
            name = f"intervals-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}{'-' + queue if queue else ''}"
            return web.Response(
                body=(await asyncio.to_thread(rows_csv, [*rows, *totals])).encode("utf-8"),
                content_type="text/csv",
                charset="utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        return ok({
            "from": start.isoformat(), "to": end.isoformat(), "zone": str(self.zone),
            "bucket_minutes": int(BUCKET.total_seconds() // 60),
            "queues": sorted({r.queue for r in rows}),
            "rows": [row_json(r) for r in rows], "totals": [row_json(r) for r in totals],
        })  # fmt: skip

    async def today(self, request: web.Request) -> web.Response:
        now = self.now()
        start = now.astimezone(self.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        end = ceil_bucket(now, self.zone)
        if end == start:
            end = (start + BUCKET).astimezone(self.zone)
        _rows, totals = await self._report(start, end, [])
        now_s = self.deps.clock.now_s()
        names = list(self.deps.queues.config.queues)
        stats = [await self.deps.queues.queue_stats(q, now_s) for q in names]
        return ok({
            "date": start.date().isoformat(), "zone": str(self.zone), "now": now.isoformat(),
            "bucket_minutes": int(BUCKET.total_seconds() // 60),
            "intervals": [row_json(r) for r in totals],
            "waiting_now": sum(s.waiting for s in stats),
            "thresholds": self.deps.thresholds.as_json(),
        })  # fmt: skip


def add_report_routes(app: web.Application, deps: ReportDeps) -> None:
    """Register the report routes on `app` after `add_api_routes` (its middlewares and its
    route table, so the OpenAPI document lists them)."""
    routes = ReportRoutes(deps).routes()
    app[API_ROUTES].extend(routes)
    for route in routes:
        assert route.roles is not None
        app.router.add_route(
            route.method, route.path, require_roles(*sorted(route.roles))(route.handler)
        )


def report_deps(
    app: web.Application,
    calls: CallStore,
    queues: RedisQueueStore,
    clock: NowClock,
    config_dir: Path,
) -> None:
    """The app's report routes and the desktop's last contacts, reading the call records of
    `calls`; the wallboard thresholds from `config_dir/wallboard.yaml` (a bad file: ErrorList)."""
    thresholds = load_thresholds(config_dir / WALLBOARD_FILE)
    reports = ReportStore(calls.engine)
    add_report_routes(app, ReportDeps(reports, queues, clock, thresholds))
    add_contact_routes(app, reports, calls, queues, clock)
