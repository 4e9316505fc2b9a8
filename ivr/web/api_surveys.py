"""HTTP API of satisfaction surveys (docs/surveys.md).

- `GET /api/reports/surveys?from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|agent|queue` (roles
  supervisor, admin, compliance; agents 403): the surveys offered on the local days `from` to
  `to` (both included; absent: today, or the one day given), one group per day, agent or queue
  (default `day`) with `offered`, `count` (answered with a score), `mean_score`, `distribution`
  ("1".."5"), `solved_yes`, `solved_no` and `response_rate` (count / offered); `total` is the
  same over every group.
Rules: strict parsing: a date is exactly `YYYY-MM-DD`, `from` not after `to`, at most
`MAX_DAYS` days; anything else is 400 `invalid-query` naming the field. Call
`add_survey_routes` after `add_api_routes` (error and auth middlewares).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Final, cast
from zoneinfo import ZoneInfo

from aiohttp import web

from ivr.store.surveys import GROUP_BY, SurveyStore, report, summary
from ivr.web.api import API_ROUTES
from ivr.web.api_common import Route, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_COMPLIANCE, ROLE_SUPERVISOR, require_roles
from ivr.web.errors import ApiError

ROLES: Final = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})
MAX_DAYS: Final = 366
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _date(raw: str | None, field: str, default: date) -> date:
    if raw is None:
        return default
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        message = f"'{field}' must be a date written YYYY-MM-DD, e.g. 2026-12-05"
        raise ApiError(400, "invalid-query", message, field=field) from None


class SurveyRoutes:
    def __init__(self, store: SurveyStore, now: Callable[[], datetime]) -> None:
        self.store, self.now = store, now

    def routes(self) -> list[Route]:
        return [
            Route(
                "GET", "/api/reports/surveys", self.report, ROLES,
                "Satisfaction surveys by day, agent or queue",
                query=("from:string", "to:string", "by:string"),
            ),
        ]  # fmt: skip

    async def report(self, request: web.Request) -> web.Response:
        now = self.now()
        zone = cast(ZoneInfo, now.tzinfo)
        query = request.query
        to_day = _date(query.get("to"), "to", _date(query.get("from"), "from", now.date()))
        from_day = _date(query.get("from"), "from", to_day)
        if from_day > to_day:
            raise ApiError(400, "invalid-query", "'from' must not be after 'to'", field="from")
        if (to_day - from_day).days >= MAX_DAYS:
            message = f"'to' must be within {MAX_DAYS} days of 'from'"
            raise ApiError(400, "invalid-query", message, field="to")
        by = query.get("by", "day")
        if by not in GROUP_BY:
            message = f"'by' must be one of {', '.join(GROUP_BY)}"
            raise ApiError(400, "invalid-query", message, field="by")
        start = datetime.combine(from_day, time(), zone)
        end = datetime.combine(to_day + timedelta(days=1), time(), zone)
        rows = await self.store.rows(start, end)
        groups = report(rows, by, zone)
        return ok({
            "from": from_day.isoformat(), "to": to_day.isoformat(), "by": by,
            "groups": [g.as_json() for g in groups], "total": summary("total", rows).as_json(),
        })  # fmt: skip


def add_survey_routes(
    app: web.Application, store: SurveyStore, now: Callable[[], datetime]
) -> None:
    """Add the survey report to `app` and to its API table (after `add_api_routes`)."""
    routes = SurveyRoutes(store, now).routes()
    for route in routes:
        roles = sorted(route.roles or ROLES)
        app.router.add_route(route.method, route.path, require_roles(*roles)(route.handler))
    app[API_ROUTES].extend(routes)
