"""The one error shape of the HTTP API, and the middleware that enforces it.

Every error a client reads is `{"error": "<stable-id>", "message": "...", "details": {...}}`:
`error` is a stable, kebab-case id clients may branch on; `message` is for a person; `details`
names the field, id or role concerned. Rules:
- Errors raised on purpose anywhere below (`ivr.errors.IvrError`, which `queueing`,
  `recordings` and `asr` errors descend from) are mapped by their kind, never by their text:
  `InputError` 400, `Forbidden` 403, `NotFound` 404, `Conflict` 409 with the error's own
  `code`, message and `details`; `Unavailable` 503 with its `public_message` only (the backend's
  text, which may name hosts and sockets, goes to the log).
- Handlers raise `ApiError(status, error_id, message, **details)` (or return `json_error`) for
  explicit HTTP answers.
- The router's own 404/405 become `not-found` / `method-not-allowed` in the same shape.
- Anything else, including an `IvrError` of no kind, is `log.exception`ed and answered with a
  bare 500 (`internal-error`, no details): never a traceback, never the exception text.
- Pages (non-`/api/` paths) keep aiohttp's own 4xx responses; they still get the bare 500.
- A logged path never shows a private prompt's signed link (`loggable`): whoever reads it could
  fetch the audio while the call lasts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from ivr.errors import Conflict, Forbidden, InputError, IvrError, NotFound, Unavailable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

API_PREFIX = "/api/"
_SIGNED_PREFIX = "/prompts/private/"  # a signed link: whoever holds it may fetch the audio


def loggable(path: str) -> str:
    """`path` as a log line may show it: a private prompt's signed link is cut off."""
    return _SIGNED_PREFIX + "..." if path.startswith(_SIGNED_PREFIX) else path


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

STATUS_OF_KIND: Final[tuple[tuple[type[IvrError], int], ...]] = (
    (InputError, 400),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Unavailable, 503),
)


class ApiError(IvrError):
    """An error answered to an API client in the one shape; raise it from a handler."""

    def __init__(self, status: int, error_id: str, message: str, **details: Any) -> None:
        super().__init__(message, code=error_id, details=details)
        self.status = status
        self.message = message

    @property
    def error_id(self) -> str:
        return self.code


def status_of(exc: IvrError) -> int | None:
    """The HTTP status of an error's kind; None for an error of no kind (a bare 500)."""
    for kind, status in STATUS_OF_KIND:
        if isinstance(exc, kind):
            return status
    return None


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


def _from_error(request: web.Request, exc: IvrError) -> web.Response:
    if isinstance(exc, ApiError):
        return json_error(exc.status, exc.code, exc.message, **exc.details)
    if isinstance(exc, Unavailable):
        log.warning("unavailable serving %s %s: %s", request.method, loggable(request.path), exc)
        return json_error(503, exc.code, exc.public_message)
    status = status_of(exc)
    if status is None:
        log.exception("unexpected error serving %s %s", request.method, loggable(request.path))
        return internal_error()
    return json_error(status, exc.code, str(exc), **exc.details)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: errors raised on purpose and router errors in the one shape; the
    rest a bare 500."""
    try:
        return await handler(request)
    except IvrError as exc:
        return _from_error(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith(API_PREFIX):
            raise
        return _from_http_exception(exc)
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, loggable(request.path))
        return internal_error()
