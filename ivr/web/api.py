"""The staff API under `/api/`: wiring (`add_api_routes`), the browser session, OpenAPI.

`add_api_routes(app, deps)` installs the error and auth middlewares (once per app: pages
share them via `install_auth`), registers every route of the route tables with its roles,
serves `GET /api/openapi.json` built from the same tables, and ties the agent feed and open
websockets to the app's shutdown/cleanup. Call it before the app's runner is set up.

Browser pages log in with `POST /api/session {"token": ...}`: the API token is checked and an
HttpOnly, SameSite=Strict `ivr_session` cookie (a separate, expiring secret) is set; the token
itself never goes into a cookie or a URL. `DELETE /api/session` logs out.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ivr.queue.feed import AgentFeed
from ivr.store.dispositions import DispositionStore
from ivr.store.users import SESSION_TTL_S, UserStore
from ivr.web.api_admin import AdminRoutes
from ivr.web.api_agents import WEBSOCKETS, AgentRoutes
from ivr.web.api_body import SessionBody, read_body
from ivr.web.api_common import ApiDeps, HandlerContext, NowClock, Route, ok
from ivr.web.api_pinlocks import PinLockRoutes
from ivr.web.api_supervisors import SupervisorRoutes
from ivr.web.auth import (
    ROLES,
    SESSION_COOKIE,
    ApiUser,
    UserVerifier,
    auth_middleware,
    current_user,
    require_roles,
)
from ivr.web.errors import ApiError, error_middleware
from ivr.web.openapi import openapi_document

__all__ = ["ApiDeps", "NowClock", "add_api_routes", "api_routes", "install_auth"]

log = logging.getLogger(__name__)

ANY_ROLE = ROLES
API_ROUTES: web.AppKey[list[Route]] = web.AppKey("ivr_api_routes", list)
_AUTH_INSTALLED: web.AppKey[bool] = web.AppKey("ivr_auth_installed", bool)


def install_auth(app: web.Application, users: UserVerifier) -> None:
    """Add `error_middleware` then `auth_middleware(users)` to `app` (idempotent)."""
    if app.get(_AUTH_INSTALLED):
        return
    app.middlewares.append(error_middleware)
    app.middlewares.append(auth_middleware(users))
    app[_AUTH_INSTALLED] = True


def user_json(user: ApiUser) -> dict[str, object]:
    return {"name": user.name, "roles": sorted(user.roles), "agent_id": user.agent_id}


class SessionRoutes:
    def __init__(self, users: UserStore, *, secure_cookies: bool) -> None:
        self.users = users
        self.secure = secure_cookies

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/api/session", self.login, None, "Browser login", SessionBody),
            Route("GET", "/api/session", self.show, ANY_ROLE, "Who am I"),
            Route("DELETE", "/api/session", self.logout, ANY_ROLE, "Browser logout"),
        ]

    async def login(self, request: web.Request) -> web.Response:
        body = await read_body(request, SessionBody)
        user = await self.users.verify(body.token)
        if user is None:
            raise ApiError(401, "unauthorized", "The token is not valid")
        session = await self.users.create_session(user.name)
        response = ok({"user": user_json(user)})
        response.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=int(SESSION_TTL_S),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.secure or request.secure,
        )
        log.info("session opened user=%s", user.name)
        return response

    async def show(self, request: web.Request) -> web.Response:
        user = current_user(request)
        assert user is not None
        return ok({"user": user_json(user)})

    async def logout(self, request: web.Request) -> web.Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            await self.users.end_session(cookie)
        response = ok({"logged_out": True})
        response.del_cookie(SESSION_COOKIE, path="/")
        return response


def api_routes(ctx: HandlerContext) -> list[Route]:
    """Every route of the API except the OpenAPI document itself."""
    return [
        *SessionRoutes(ctx.deps.users, secure_cookies=ctx.deps.secure_cookies).routes(),
        *AgentRoutes(ctx).routes(),
        *SupervisorRoutes(ctx).routes(),
        *AdminRoutes(ctx).routes(),
        *PinLockRoutes(ctx).routes(),
    ]


def _openapi_route() -> Route:
    async def document(request: web.Request) -> web.Response:
        served: list[Route] = request.app[API_ROUTES]
        return ok(openapi_document(served))

    return Route("GET", "/api/openapi.json", document, ANY_ROLE, "This document")


def add_api_routes(app: web.Application, deps: ApiDeps) -> HandlerContext:
    """Register the API on `app` (before its runner starts); returns the shared context."""
    install_auth(app, deps.users)
    feed = deps.offers or AgentFeed(deps.queues, deps.clock.now_s)
    ctx = HandlerContext(deps, feed, DispositionStore(deps.calls.engine))
    routes = api_routes(ctx)
    routes.append(_openapi_route())
    app[API_ROUTES] = routes
    app[WEBSOCKETS] = set()
    for route in routes:
        handler = route.handler
        if route.roles is not None:
            handler = require_roles(*sorted(route.roles))(handler)
        app.router.add_route(route.method, route.path, handler)
    app.on_shutdown.append(_close_websockets)
    app.on_cleanup.append(lambda _app: feed.aclose())
    return ctx


async def _close_websockets(app: web.Application) -> None:
    sockets: set[web.WebSocketResponse] = app[WEBSOCKETS]
    for ws in list(sockets):
        await ws.close(code=1001, message=b"server shutdown")
