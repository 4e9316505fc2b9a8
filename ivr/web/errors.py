"""The one error shape of the HTTP API, and the middleware that enforces it.

Every error a client reads is `{"error": "<stable-id>", "message": "...", "details": {...}}`:
`error` is a stable, kebab-case id clients may branch on; `message` is for a person; `details`
names the field, id or role concerned. Rules:
- Handlers raise `ApiError(status, error_id, message, **details)` (or return `json_error`).
- The router's own 404/405 become `not-found` / `method-not-allowed` in the same shape.
- Anything unexpected is `log.exception`ed and answered with a bare 500 (`internal-error`,
  no details): never a traceback, never the exception text, to a client.
- Pages (non-`/api/` paths) keep aiohttp's own 4xx responses; they still get the bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ivr.errors import IvrError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/"

_HTTP_ERROR_IDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
}


class ApiError(IvrError):
    """An error answered to an API client in the one shape; raise it from a handler."""

    def __init__(self, status: int, error_id: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.details = details


def error_body(error_id: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": error_id, "message": message, "details": details}


def json_error(status: int, error_id: str, message: str, **details: Any) -> web.Response:
    """A JSON response in the one error shape."""
    return web.json_response(error_body(error_id, message, details), status=status)


def internal_error() -> web.Response:
    return json_error(500, "internal-error", "Internal server error")


def _from_http_exception(exc: web.HTTPException) -> web.Response:
    error_id = _HTTP_ERROR_IDS.get(exc.status, f"http-{exc.status}")
    message = exc.reason
    response = json_error(exc.status, error_id, message)
    if isinstance(exc, web.HTTPMethodNotAllowed):
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: ApiError and router errors in the one shape; the rest a bare 500."""
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.error_id, exc.message, **exc.details)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith(API_PREFIX):
            raise
        return _from_http_exception(exc)
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, request.path)
        return internal_error()
