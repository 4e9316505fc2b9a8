"""Reading ARI JSON: typed field readers that name what is wrong (`ModelError`).

Role: the helpers `ivr.ari.models` and `ivr.ari.event_models` build their dataclasses with.
A required field that is missing or of the wrong type raises `ModelError` naming it (e.g.
`channel.id`); optional readers (`opt_*`) return None instead. ARI timestamps look like
`2026-11-25T21:30:24.796+0000`.

Rules: pure (no I/O); never guesses: a wrong type is an error, not a conversion.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

Json = Mapping[str, Any]


class ModelError(ValueError):
    """A required field is missing or has the wrong type (`path` names it, e.g. `channel.id`)."""


def field_of(d: Json, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise ModelError(f"missing field '{where}{key}'")
    value = d[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ModelError(f"field '{where}{key}' has type {type(value).__name__}")
    return value


def read_str(d: Json, key: str, where: str = "") -> str:
    return str(field_of(d, key, str, where))


def read_int(d: Json, key: str, where: str = "") -> int:
    return int(field_of(d, key, int, where))


def read_obj(d: Json, key: str, where: str = "") -> Json:
    value: Json = field_of(d, key, dict, where)
    return value


def opt_str(d: Json, key: str) -> str | None:
    value = d.get(key)
    return value if isinstance(value, str) else None


def opt_int(d: Json, key: str) -> int | None:
    value = d.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_str_list(d: Json, key: str, where: str = "") -> tuple[str, ...]:
    items = field_of(d, key, list, where)
    if not all(isinstance(i, str) for i in items):
        raise ModelError(f"field '{where}{key}' must be a list of strings")
    return tuple(items)


def parse_time(text: str) -> datetime:
    """Parse ARI's `2026-11-25T21:30:24.796+0000` (ISO 8601, offset without colon)."""
    return datetime.fromisoformat(text)


def read_time(d: Json, key: str, where: str = "") -> datetime:
    text = read_str(d, key, where)
    try:
        return parse_time(text)
    except ValueError:
        raise ModelError(f"field '{where}{key}' is not a date: {text[:40]!r}") from None


def opt_time(d: Json, key: str) -> datetime | None:
    text = d.get(key)
    if not isinstance(text, str):
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None
