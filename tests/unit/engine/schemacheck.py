"""A tiny JSON Schema checker for the keywords `ivr flows schema` uses (tests only).

`jsonschema` is not a dependency of the project, so the shipped-flow schema test uses this
instead. It knows exactly the keywords listed in `CHECKS` (+ annotations) and refuses any other,
so a schema change that needs more makes the test fail loudly rather than pass unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "format"})
TYPES: dict[str, Callable[[object], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


class Checker:
    def __init__(self, root: Schema) -> None:
        self.root = root

    def check(self, value: object) -> list[str]:
        """Every violation of the root schema by `value` (`$.path: problem`)."""
        return self.errors(value, self.root)

    def errors(self, value: object, schema: Schema | bool, at: str = "$") -> list[str]:
        if schema is True:
            return []
        if schema is False:
            return [f"{at}: not allowed"]
        assert isinstance(schema, dict)
        out: list[str] = []
        for keyword, arg in schema.items():
            if keyword in ANNOTATIONS:
                continue
            check = CHECKS.get(keyword)
            if check is None:
                raise AssertionError(f"schemacheck does not know the keyword {keyword!r}")
            out.extend(check(self, value, arg, schema, at))
        return out

    def ok(self, value: object, schema: Schema | bool, at: str) -> bool:
        return not self.errors(value, schema, at)


def _ref(c: Checker, v: object, arg: str, s: Schema, at: str) -> list[str]:
    target: Any = c.root
    for part in arg.removeprefix("#/").split("/"):
        target = target[part]
    return c.errors(v, target, at)


def _type(c: Checker, v: object, arg: str | list[str], s: Schema, at: str) -> list[str]:
    names = [arg] if isinstance(arg, str) else arg
    return [] if any(TYPES[n](v) for n in names) else [f"{at}: not of type {arg}"]


def _enum(c: Checker, v: object, arg: list[object], s: Schema, at: str) -> list[str]:
    same = any(v == a and type(v) is type(a) for a in arg)
    return [] if same else [f"{at}: {v!r} not one of {arg}"]


def _const(c: Checker, v: object, arg: object, s: Schema, at: str) -> list[str]:
    return [] if v == arg else [f"{at}: {v!r} is not {arg!r}"]


def _pattern(c: Checker, v: object, arg: str, s: Schema, at: str) -> list[str]:
    bad = isinstance(v, str) and re.search(arg, v) is None
    return [f"{at}: {v!r} does not match {arg}"] if bad else []


def _minimum(c: Checker, v: object, arg: float, s: Schema, at: str) -> list[str]:
    low = TYPES["number"](v) and v < arg  # type: ignore[operator]
    return [f"{at}: {v!r} < {arg}"] if low else []


def _maximum(c: Checker, v: object, arg: float, s: Schema, at: str) -> list[str]:
    high = TYPES["number"](v) and v > arg  # type: ignore[operator]
    return [f"{at}: {v!r} > {arg}"] if high else []


def _properties(c: Checker, v: object, arg: Schema, s: Schema, at: str) -> list[str]:
    if not isinstance(v, dict):
        return []
    return [e for k, sub in arg.items() if k in v for e in c.errors(v[k], sub, f"{at}.{k}")]


def _additional(c: Checker, v: object, arg: Schema | bool, s: Schema, at: str) -> list[str]:
    if not isinstance(v, dict):
        return []
    known = s.get("properties", {})
    return [e for k in v if k not in known for e in c.errors(v[k], arg, f"{at}.{k}")]


def _names(c: Checker, v: object, arg: Schema, s: Schema, at: str) -> list[str]:
    if not isinstance(v, dict):
        return []
    return [e for k in v for e in c.errors(k, arg, f"{at}.{k} (name)")]


def _required(c: Checker, v: object, arg: list[str], s: Schema, at: str) -> list[str]:
    if not isinstance(v, dict):
        return []
    return [f"{at}: missing {k!r}" for k in arg if k not in v]


def _dependent(c: Checker, v: object, arg: dict[str, list[str]], s: Schema, at: str) -> list[str]:
    if not isinstance(v, dict):
        return []
    return [
        f"{at}: {k!r} needs {n!r}"
        for k, needs in arg.items()
        if k in v
        for n in needs
        if n not in v
    ]


def _count(low: bool) -> Callable[[Checker, object, int, Schema, str], list[str]]:
    def check(c: Checker, v: object, arg: int, s: Schema, at: str) -> list[str]:
        if not isinstance(v, dict | list):
            return []
        bad = len(v) < arg if low else len(v) > arg
        return [f"{at}: {len(v)} entries ({'min' if low else 'max'} {arg})"] if bad else []

    return check


def _items(c: Checker, v: object, arg: Schema, s: Schema, at: str) -> list[str]:
    if not isinstance(v, list):
        return []
    return [e for i, item in enumerate(v) for e in c.errors(item, arg, f"{at}[{i}]")]


def _one_of(c: Checker, v: object, arg: list[Schema], s: Schema, at: str) -> list[str]:
    matching = sum(c.ok(v, sub, at) for sub in arg)
    return [] if matching == 1 else [f"{at}: matches {matching} of oneOf (needs exactly 1)"]


def _any_of(c: Checker, v: object, arg: list[Schema], s: Schema, at: str) -> list[str]:
    return [] if any(c.ok(v, sub, at) for sub in arg) else [f"{at}: matches none of anyOf"]


CHECKS: dict[str, Callable[[Checker, Any, Any, Schema, str], list[str]]] = {
    "$ref": _ref,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minimum": _minimum,
    "maximum": _maximum,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _names,
    "required": _required,
    "dependentRequired": _dependent,
    "minProperties": _count(low=True),
    "maxProperties": _count(low=False),
    "minItems": _count(low=True),
    "items": _items,
    "oneOf": _one_of,
    "anyOf": _any_of,
}
