"""Strict whole numbers from URLs: the one parser of every integer path or query parameter.

Rules: only ASCII digits are a number (no sign, space, `_`, fullwidth or superscript digits,
which `str.isdigit` or `int` would let through or choke on); at most 18 digits (no overflow);
the value within [low, high]. Anything else is 400 (`invalid-path` for a path parameter,
`invalid-query` for a query parameter) naming the field and the range, never a 500.
"""

from __future__ import annotations

from aiohttp import web

from ivr.web.errors import ApiError

MAX_DIGITS = 18


def parse_int(
    raw: str, field: str, low: int = 0, high: int = 2**63 - 1, error: str = "invalid-query"
) -> int:
    """`raw` as an int within [low, high], or ApiError 400 `error` naming `field`."""
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS and low <= int(raw) <= high:
        return int(raw)
    raise ApiError(
        400,
        error,
        f"'{field}' must be a whole number from {low} to {high}",
        field=field,
    )


def path_int(request: web.Request, name: str, low: int = 1, high: int = 2**63 - 1) -> int:
    """The integer path parameter `name` (see `parse_int`)."""
    return parse_int(request.match_info[name], name, low, high, "invalid-path")


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The integer query parameter `name`, `default` when absent (see `parse_int`)."""
    raw = request.query.get(name)
    return default if raw is None else parse_int(raw, name, low, high)
