"""HTTP API of automated outbound campaigns (docs/dialer.md).

Routes (roles `supervisor` or `admin`, through `require_roles`):
- `POST /api/campaigns` `{"name": "margins-0105.csv", "csv": "account,phone,..."}`: validate the
  whole margin-call CSV and queue its notices: 201 with the campaign's counts. `"kind":
  "survey"` takes a survey CSV (`phone,call_id,agent,queue`, docs/surveys.md) instead. A bad line:
  400 `invalid-campaign` whose `details.errors` lists `{line, field, reason}` for every bad
  line, and nothing from the file is queued.
- `GET /api/campaigns`: every campaign with its counts by status (what `ivr campaigns status`
  prints).

Rules: the account is never in a response (counts only); the queue time is the dialer's wall
time (`now`), so a loaded campaign is due at once. Call `add_campaign_routes` after
`add_api_routes` (error and auth middlewares).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final, Literal

from aiohttp import web
from pydantic import Field

from ivr.outbound.service import load_campaign
from ivr.store.outbound import STATUSES, CampaignStatus, OutboundStore
from ivr.web.api import API_ROUTES
from ivr.web.api_body import Body, read_body
from ivr.web.api_common import Route, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_SUPERVISOR, current_user, require_roles

ROLES: Final = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
MAX_CSV: Final = 900_000  # characters (the request limit is 1 MB)


class CampaignBody(Body):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["margin_notice", "survey"] = "margin_notice"
    csv: str = Field(min_length=1, max_length=MAX_CSV)


def campaign_json(c: CampaignStatus) -> dict[str, object]:
    return {
        "id": c.id, "kind": c.kind, "name": c.name, "created_by": c.created_by,
        "created_at": c.created_at.isoformat(), "total": sum(c.counts.values()),
        "counts": {s: c.counts.get(s, 0) for s in STATUSES},
    }  # fmt: skip


class CampaignRoutes:
    def __init__(self, store: OutboundStore, now: Callable[[], datetime]) -> None:
        self.store, self.now = store, now

    def routes(self) -> list[Route]:
        return [
            Route(
                "POST", "/api/campaigns", self.create, ROLES, "Queue a margin-call or survey CSV",
                CampaignBody,
            ),
            Route("GET", "/api/campaigns", self.list, ROLES, "Campaigns and their counts"),
        ]  # fmt: skip

    async def create(self, request: web.Request) -> web.Response:
        body = await read_body(request, CampaignBody)
        user = current_user(request)
        who = user.name if user is not None else "api"
        campaign = await load_campaign(
            self.store, body.kind, body.csv.encode("utf-8"), body.name, who, self.now()
        )
        return ok(campaign_json(campaign), status=201)

    async def list(self, request: web.Request) -> web.Response:
        return ok({"campaigns": [campaign_json(c) for c in await self.store.status()]})


def add_campaign_routes(
    app: web.Application, store: OutboundStore, now: Callable[[], datetime]
) -> None:
    """Add the campaign routes to `app` and to its API table (after `add_api_routes`)."""
    routes = CampaignRoutes(store, now).routes()
    for route in routes:
        roles = sorted(route.roles or ROLES)
        app.router.add_route(route.method, route.path, require_roles(*roles)(route.handler))
    app[API_ROUTES].extend(routes)
