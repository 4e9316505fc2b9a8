"""Token and role authentication for the API and the staff pages.

Who is calling: `auth_middleware(users)` reads `Authorization: Bearer <token>` (API clients) or
the `ivr_session` HttpOnly cookie (browser pages, set by `POST /api/session`) and stores an
`ApiUser` or None in `request[USER_KEY]` (read it with `current_user(request)`). What they may
do: handlers are wrapped in `require_roles(*roles)`: no or invalid credentials -> 401
`unauthorized`, a wrong role -> 403 `forbidden`, both in the one error shape of `ivr.web.errors`.

Rules:
- Tokens are random (`secrets.token_urlsafe`), stored only as sha256 hashes, compared in constant
  time (`ivr.store.users`), and never logged. A token in a URL query string is refused (400
  `token-in-url`) and never checked, so it cannot leak through access logs or browser history.
- A cookie-authenticated request that changes state (POST/PUT/PATCH/DELETE) or opens a
  websocket must come from our own origin: the cookie is `SameSite=Strict`, and an `Origin`
  header naming another host is 403 `cross-origin` (CSRF, cross-site websocket hijacking).
  Bearer-token requests are not subject to this (browsers never add them on their own).
- Roles do not imply each other: each route lists every role it admits.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import Final, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from ivr.store.users import ROLE_ADMIN as ROLE_ADMIN
from ivr.store.users import ROLE_AGENT as ROLE_AGENT
from ivr.store.users import ROLE_COMPLIANCE as ROLE_COMPLIANCE
from ivr.store.users import ROLE_SUPERVISOR as ROLE_SUPERVISOR
from ivr.store.users import ROLES as ROLES
from ivr.store.users import ApiUser as ApiUser
from ivr.web.errors import ApiError, Handler

log = logging.getLogger(__name__)

SESSION_COOKIE: Final = "ivr_session"
_TOKEN_QUERY_NAMES = frozenset({"token", "access_token", "api_key", "apikey", "auth", "session"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# request[USER_KEY]: the caller or None; request[AUTH_VIA_KEY]: "bearer" | "cookie" | None
USER_KEY: Final[web.RequestKey[ApiUser | None]] = web.RequestKey("user")
AUTH_VIA_KEY: Final[web.RequestKey[str | None]] = web.RequestKey("auth_via")


class UserVerifier(Protocol):
    """What the middleware needs from the user store (`ivr.store.users.UserStore` satisfies it)."""

    async def verify(self, token: str) -> ApiUser | None: ...

    async def verify_session(self, session_token: str) -> ApiUser | None: ...


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None (any other scheme)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # same-origin GET/HEAD-less requests and non-browser clients send none
    return hmac.compare_digest(urlsplit(origin).netloc.lower(), request.host.lower())


def _needs_same_origin(request: web.Request) -> bool:
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    return upgrade or request.method in _UNSAFE_METHODS


def _refuse_token_in_url(request: web.Request) -> None:
    named = sorted(k for k in request.query if k.lower() in _TOKEN_QUERY_NAMES)
    if named:
        raise ApiError(
            400,
            "token-in-url",
            "Credentials are never accepted in the URL; send 'Authorization: Bearer <token>'",
            parameter=named[0],
        )


async def authenticate(request: web.Request, users: UserVerifier) -> ApiUser | None:
    """Resolve the caller of `request`; sets `request[AUTH_VIA_KEY]`. Never logs the token."""
    _refuse_token_in_url(request)
    token = bearer_token(request)
    if token is not None:
        request[AUTH_VIA_KEY] = "bearer"
        return await users.verify(token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        request[AUTH_VIA_KEY] = "cookie"
        return await users.verify_session(cookie)
    request[AUTH_VIA_KEY] = None
    return None


def auth_middleware(users: UserVerifier) -> Middleware:
    """Middleware setting `request[USER_KEY]` (ApiUser | None); put it after `error_middleware`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        user = await authenticate(request, users)
        request[USER_KEY] = user
        via_cookie = user is not None and request[AUTH_VIA_KEY] == "cookie"
        if via_cookie and _needs_same_origin(request) and not _same_origin(request):
            raise ApiError(403, "cross-origin", "Cross-origin request refused")
        return await handler(request)

    return middleware


def current_user(request: web.Request) -> ApiUser | None:
    return request.get(USER_KEY)


def check_roles(request: web.Request, allowed: frozenset[str]) -> ApiUser:
    """The request's user if it holds one of `allowed`; else ApiError 401 or 403."""
    user = current_user(request)
    if user is None:
        if request.get(AUTH_VIA_KEY) is None:
            raise ApiError(401, "unauthorized", "Authentication required: send a Bearer token")
        raise ApiError(401, "unauthorized", "The token or session is not valid")
    if not user.has_any(allowed):
        raise ApiError(
            403,
            "forbidden",
            f"This needs one of the roles: {', '.join(sorted(allowed))}",
            required_roles=sorted(allowed),
        )
    return user


def require_roles(*roles: str) -> Callable[[Handler], Handler]:
    """Decorate a handler: 401 without a valid token/session, 403 without one of `roles`.

    The allowed roles are kept on the handler as `__ivr_roles__` (the OpenAPI document reads it).
    """
    unknown = set(roles) - ROLES
    if unknown or not roles:
        raise ValueError(f"require_roles needs known roles, got {sorted(roles)}")
    allowed = frozenset(roles)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            check_roles(request, allowed)
            return await handler(request)

        wrapper.__ivr_roles__ = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorate


def roles_of(handler: object) -> frozenset[str] | None:
    """The roles `require_roles` put on `handler`, or None for a public handler."""
    roles = getattr(handler, "__ivr_roles__", None)
    return roles if isinstance(roles, frozenset) else None
