"""What every API module shares: `ApiDeps` (the stores and the clock), the `Route` table
entry (method, path, handler, roles, body model: read by registration AND the OpenAPI
document, so the two cannot disagree), and small response helpers.

Rules: handlers get their dependencies from `ApiDeps`, never from globals; time comes only
from `deps.clock.now_s()`. Handlers let typed errors of the stores (`AgentBusy`,
`StoreUnavailable`, ...) propagate: `ivr.web.errors` maps them by kind to the one error shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel

from ivr.queue.feed import AgentFeed
from ivr.settings import Settings
from ivr.settings.security import cookie_secure
from ivr.store import CallStore
from ivr.store.dispositions import DispositionStore
from ivr.store.users import UserStore
from ivr.web.errors import Handler
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore

AcceptHook = Callable[[CallKey, AgentId], Awaitable[None]]


class NowClock(Protocol):
    def now_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ApiDeps:
    """Everything the API needs. `offers` None: an `AgentFeed` tailing `queues.events`.

    `accept` (optional) is called when an agent explicitly accepts an offered call, e.g. to
    answer the agent leg early; without it, accept only checks the offer is this agent's.
    `secure_cookies` marks the session cookie `Secure` (set it behind HTTPS).
    `pin_unlock_roles` may end a PIN lock (`pin_unlock`, docs/security.md).
    """

    queues: RedisQueueStore
    calls: CallStore
    users: UserStore
    clock: NowClock
    offers: AgentFeed | None = None
    accept: AcceptHook | None = None
    secure_cookies: bool = False
    pin_unlock_roles: frozenset[str] = frozenset({"supervisor", "admin"})

    @classmethod
    def configured(
        cls,
        settings: Settings,
        queues: RedisQueueStore,
        calls: CallStore,
        users: UserStore,
        clock: NowClock,
    ) -> ApiDeps:
        """The API's dependencies with the security settings applied."""
        s = settings.security
        secure = cookie_secure(s, settings.http.public_base_url)
        return cls(queues, calls, users, clock, secure_cookies=secure,
                   pin_unlock_roles=s.pin_unlock_roles)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Route:
    """One API route. `roles` None: public (only the login)."""

    method: str
    path: str
    handler: Handler
    roles: frozenset[str] | None
    summary: str
    body: type[BaseModel] | None = None
    websocket: bool = False
    query: tuple[str, ...] = ()  # query parameters: "name" (an integer) or "name:type"


@dataclass
class HandlerContext:
    """Per-app services built from `ApiDeps` once, shared by the route modules."""

    deps: ApiDeps
    feed: AgentFeed
    dispositions: DispositionStore

    def now_s(self) -> float:
        return self.deps.clock.now_s()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_s(), UTC)

    def start_of_today(self) -> datetime:
        """Midnight of today in the queue store's statistics zone, as an aware UTC time."""
        local = datetime.fromtimestamp(self.now_s(), self.deps.queues.day_zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.astimezone(UTC)


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
