"""PIN locks in the API: list the active locks, end one (`pin_unlock`), read the audit.

- `GET /api/pin-locks`: active locks of accounts (masked) and calling numbers, newest first.
- `POST /api/pin-locks/{lock_id}/unlock` `{"reason": "..."}`: the `pin_unlock` action. Only
  `security.pin_unlock_roles` (default supervisor, admin) may; anyone else is 403. The audit
  row (who, when, why) is written in the same transaction as the unlock.
- `GET /api/pin-locks/audit`: locks and unlocks, newest first (supervisor, admin, compliance).
Rules: a lock names an account only masked (`****5678`); the number that sprayed accounts is
shown as it called. docs/security.md has the policy.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ivr.store.pinlocks import PinLockStore
from ivr.web.api_body import PinUnlockBody, read_body
from ivr.web.api_common import HandlerContext, Route, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_COMPLIANCE, ROLE_SUPERVISOR, current_user
from ivr.web.ints import path_int, query_int

log = logging.getLogger(__name__)

READERS = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})


class PinLockRoutes:
    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx
        self.store = PinLockStore(ctx.deps.calls.engine, now_s=ctx.deps.clock.now_s)
        self.unlockers = ctx.deps.pin_unlock_roles

    def routes(self) -> list[Route]:
        base = "/api/pin-locks"
        readers = READERS | self.unlockers
        return [
            Route("GET", base, self.list_locks, readers, "Active PIN locks (accounts, numbers)"),
            Route(
                "GET",
                f"{base}/audit",
                self.audit,
                READERS,
                "PIN locks and unlocks, newest first",
                query=("limit",),
            ),
            Route(
                "POST",
                f"{base}/{{lock_id}}/unlock",
                self.unlock,
                self.unlockers,
                "pin_unlock: end a PIN lock (audited)",
                PinUnlockBody,
            ),
        ]

    async def list_locks(self, request: web.Request) -> web.Response:
        locks = await self.store.locks()
        return ok({"locks": [lock.as_json() for lock in locks]})

    async def audit(self, request: web.Request) -> web.Response:
        limit = query_int(request, "limit", 100, 1, 1000)
        return ok({"audit": [e.as_json() for e in await self.store.audit(limit)]})

    async def unlock(self, request: web.Request) -> web.Response:
        lock_id = path_int(request, "lock_id", 1, 2**31 - 1)
        body = await read_body(request, PinUnlockBody)
        user = current_user(request)
        assert user is not None  # require_roles ran first
        lock = await self.store.unlock(lock_id, by=user.name, reason=body.reason)
        log.warning("pin_unlock lock=%d scope=%s by=%s", lock.id, lock.scope, user.name)
        return ok({"lock": lock.as_json()})
