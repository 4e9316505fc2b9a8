"""The caller's last contacts for the agent desktop:
`GET /api/agents/{agent_id}/calls/{call_id}/contacts`.

The caller of call `call_id` (the caller channel id agents see) is found in its SQL row (else in
the queue's screen pop); the answer is that number's newest earlier calls (at most 5), each with
date, outcome, queue, the masked account of its follow-ups, its dispositions and its follow-up
items (`ivr.store.reports.ReportStore.earlier_contacts`).

Rules: an agent reads only the contacts of a call it holds (offered to it or connected to it:
else 403 `not-your-call`), and only as itself (`not-your-agent`); supervisors and admins read
any call's. Account numbers are only ever masked (`****5678`). A withheld or empty calling
number has no earlier contacts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ivr.store import CallStore
from ivr.store.reports import Contact, ReportStore
from ivr.web.api import API_ROUTES
from ivr.web.api_agents import AGENT_ROLES, target_agent_id
from ivr.web.api_common import NowClock, Route, iso, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_SUPERVISOR, current_user, require_roles
from ivr.web.errors import ApiError
from queueing.model import QueueCallState
from queueing.policy import CallKey
from queueing.store import RedisQueueStore

LAST_CONTACTS = 5
_MANAGERS = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
_HELD = (QueueCallState.OFFERED, QueueCallState.CONNECTED)
_NO_NUMBER = frozenset({"", "anonymous", "unknown", "restricted"})


def contact_json(c: Contact) -> dict[str, Any]:
    return {
        "call_id": c.call_id,
        "channel_id": c.channel_id,
        "started_at": iso(c.started_at),
        "ended_at": iso(c.ended_at),
        "outcome": c.outcome,
        "queue": c.queue,
        "flow": c.flow,
        "account": c.account_masked,
        "dispositions": [
            {
                "agent_id": d.agent_id,
                "disposition": d.disposition,
                "notes": d.notes,
                "at": iso(d.at),
            }
            for d in c.dispositions
        ],
        "followups": [
            {
                "id": f.id,
                "kind": f.kind,
                "status": f.status,
                "reference": f.reference,
                "due_at": iso(f.due_at),
                "outcome": f.outcome,
            }
            for f in c.followups
        ],
    }


class ContactRoutes:
    def __init__(
        self, reports: ReportStore, calls: CallStore, queues: RedisQueueStore, clock: NowClock
    ) -> None:
        self.reports, self.calls, self.queues, self.clock = reports, calls, queues, clock

    def routes(self) -> list[Route]:
        return [
            Route(
                "GET", "/api/agents/{agent_id}/calls/{call_id}/contacts", self.contacts,
                AGENT_ROLES, "The caller's last 5 contacts (calls, dispositions, follow-ups)",
            ),
        ]  # fmt: skip

    async def contacts(self, request: web.Request) -> web.Response:
        agent_id = target_agent_id(request)
        user = current_user(request)
        assert user is not None  # require_roles ran first
        call_id = CallKey(request.match_info["call_id"])
        queued = await self.queues.get_call(call_id)
        holds = queued is not None and queued.agent_id == agent_id and queued.state in _HELD
        if not holds and not user.has_any(_MANAGERS):
            raise ApiError(
                403, "not-your-call", f"Agent '{agent_id}' does not hold call '{call_id}'",
                call_id=call_id,
            )  # fmt: skip
        row = await self.calls.find_by_channel(call_id)
        caller = row.call.caller if row is not None else None
        if caller is None and queued is not None:
            caller = queued.info.get("caller")
        if caller is None:
            raise ApiError(404, "call-not-found", f"No call '{call_id}'", call_id=call_id)
        found: list[Contact] = []
        if caller.strip().lower() not in _NO_NUMBER:
            before = (
                row.call.started_at
                if row is not None
                else datetime.fromtimestamp(self.clock.now_s(), UTC)
            )
            found = await self.reports.earlier_contacts(
                caller, before, exclude=None if row is None else str(row.call.id),
                limit=LAST_CONTACTS,
            )  # fmt: skip
        return ok({
            "call_id": call_id, "caller": caller, "zone": str(self.queues.day_zone),
            "contacts": [contact_json(c) for c in found],
        })  # fmt: skip


def add_contact_routes(
    app: web.Application,
    reports: ReportStore,
    calls: CallStore,
    queues: RedisQueueStore,
    clock: NowClock,
) -> None:
    """Register the contacts route on `app` after `add_api_routes` (OpenAPI lists it)."""
    routes = ContactRoutes(reports, calls, queues, clock).routes()
    app[API_ROUTES].extend(routes)
    for route in routes:
        assert route.roles is not None
        app.router.add_route(
            route.method, route.path, require_roles(*sorted(route.roles))(route.handler)
        )
