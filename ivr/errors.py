"""Errors raised on purpose: the one tree of `errorbase`, as the `ivr` package names it.

Everything a person will read descends from `IvrError` (defined in the tiny `errorbase`
package, which `asr`, `queueing` and `recordings` subclass too, so one `except IvrError`
catches any of them). Rules: an input error says *where* (file:line:col or field) and *what
would fix it*; adapters translate foreign exceptions at their boundary (ARI 404 ->
`ChannelGone`, redis-py -> `StoreUnavailable`); callers match on types and kinds, never on
message text.
"""

from __future__ import annotations

from errorbase import (
    KINDS,
    ConfigError,
    Conflict,
    ErrorList,
    Forbidden,
    InputError,
    IvrError,
    LocatedError,
    NotFound,
    Unavailable,
)

__all__ = [
    "KINDS",
    "ConfigError",
    "Conflict",
    "ErrorList",
    "Forbidden",
    "InputError",
    "IvrError",
    "LocatedError",
    "NotFound",
    "Unavailable",
]
