"""JSON Schema (draft 2020-12) of the flow language, built from `ivr.engine.fields` (pure).

Editors use it for completion and basic checks; `ivr flows validate` remains the authority
(targets, queues, providers and languages are checked there, not here). Everything the language
defines is spelled out: no open `object`s (conditions take exactly one subject, and a `var` or
`attribute` condition exactly one operator with a value of the operator's type; map keys follow
their naming rules). Only keywords of the core and validation vocabularies are used.
"""

from __future__ import annotations

from typing import Any

from ivr.engine.fields import (
    AUDIO_FIELDS,
    CASE_FIELDS,
    DEFAULTS_FIELDS,
    FLOW_FIELDS,
    NODE_FIELDS,
    OPTION_FIELDS,
    PRIORITIES,
    TTS_FIELDS,
    WINDOW_FIELDS,
    base_kind,
    is_required,
)

Schema = dict[str, Any]
NAME = "^[A-Za-z_][A-Za-z0-9_]*$"
LANGUAGE = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
SCALAR: Schema = {"type": ["string", "number", "boolean"]}
STRING_MAP: Schema = {
    "type": "object",
    "propertyNames": {"pattern": NAME},
    "additionalProperties": SCALAR,
}


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


KINDS: dict[str, Schema] = {
    "text": {"type": "string"},
    "ident": {"type": "string", "pattern": NAME},
    "node": {"type": "string", "pattern": NAME},
    "flow_name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
    "word": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
    "prefix": {"type": "string", "pattern": "^([A-Za-z_][A-Za-z0-9_]*)?$"},
    "language": {"type": "string", "pattern": LANGUAGE},
    "languages": {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "pattern": LANGUAGE},
    },
    "bool": {"type": "boolean"},
    "seconds": {"type": "number", "minimum": 0.1, "maximum": 86400},
    "record_seconds": {"type": "number", "minimum": 1, "maximum": 3600},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    "count": {"type": "integer", "minimum": 0, "maximum": 10},
    "digits": {"type": "integer", "minimum": 1, "maximum": 64},
    "dtmf": {"type": "string", "pattern": "^[0-9*#]$"},
    "terminator": {"enum": ["", "#", "*"]},
    "decimal_key": {"enum": ["*", "#"]},
    "mask": {"enum": [True, False, "partial"]},
    "regex": {"type": "string", "format": "regex"},
    "priority": {"enum": list(PRIORITIES)},
    "text_list": {"type": "array", "items": {"type": "string"}},
    "params": STRING_MAP,
    "vars": STRING_MAP,
    "add": {
        "type": "object",
        "propertyNames": {"pattern": NAME},
        "additionalProperties": {"type": "integer", "minimum": -1000, "maximum": 1000},
    },
    "skills": {
        "type": "object",
        "propertyNames": {"pattern": NAME},
        "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "results": {
        "type": "object",
        "propertyNames": {"pattern": NAME},
        "additionalProperties": {"type": "string", "pattern": NAME},
    },
    "phrases": {
        "type": "object",
        "propertyNames": {"pattern": LANGUAGE},
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    "prompt": ref("prompt"),
    "options": {"type": "array", "minItems": 1, "items": ref("option")},
    "cases": {"type": "array", "minItems": 1, "items": ref("case")},
    "condition": ref("condition"),
    "hours": {"type": "array", "minItems": 1, "items": ref("window")},
    "days": {"type": "array", "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}},
    "hhmm": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
    "hours_calendar": {"enum": ["trading_day", "night_session"]},
    "defaults": ref("defaults"),
    "nodes": {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 20_000,
        "propertyNames": {"pattern": NAME},
        "additionalProperties": ref("node"),
    },
}
OPERATORS: dict[str, Schema] = {
    "equals": SCALAR,
    "not_equals": SCALAR,
    "in": {"type": "array", "items": SCALAR},
    "not_in": {"type": "array", "items": SCALAR},
    "gt": {"type": "number"},
    "ge": {"type": "number"},
    "lt": {"type": "number"},
    "le": {"type": "number"},
    "exists": {"type": "boolean"},
}
NODE_RULES: dict[str, Schema] = {  # cross-field rules of `ivr.engine.build._finish`
    "goto": {"anyOf": [{"required": ["node"]}, {"required": ["flow"]}]},
    "queue": {"dependentRequired": {"overflow_after_s": ["overflow_queue"]}},
}


def obj(fields: dict[str, str], **extra: Any) -> Schema:
    props = {name: KINDS[base_kind(kind)] for name, kind in fields.items() if kind != "type!"}
    required = [name for name, kind in fields.items() if is_required(kind)]
    out: Schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return {**out, **extra}


def node_schema(type_name: str, fields: dict[str, str]) -> Schema:
    schema = obj(fields, **NODE_RULES.get(type_name, {}))
    schema["properties"]["type"] = {"const": type_name}
    return schema


def only(subject: str, value: Schema) -> Schema:
    """A condition mapping with just `subject`."""
    return {
        "type": "object",
        "required": [subject],
        "properties": {subject: value},
        "additionalProperties": False,
    }


def compare(subject: str) -> Schema:
    """`{var|attribute: NAME, OP: VALUE}` with exactly one operator."""
    return {
        "type": "object",
        "required": [subject],
        "properties": {subject: KINDS["ident"], **OPERATORS},
        "additionalProperties": False,
        "minProperties": 2,
        "maxProperties": 2,
    }


def condition_schema() -> Schema:
    many = {"type": "array", "minItems": 1, "items": ref("condition")}
    return {
        "oneOf": [
            compare("var"),
            compare("attribute"),
            only("language", KINDS["language"]),
            only("business_hours", {"type": "boolean"}),
            only("market_open", {"type": "boolean"}),
            only("all", many),
            only("any", many),
            only("not", ref("condition")),
        ],
    }


def flow_schema() -> Schema:
    content = {"oneOf": [{"type": "string"}, obj(TTS_FIELDS), obj(AUDIO_FIELDS)]}
    defs: Schema = {
        "prompt": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": LANGUAGE},
            "additionalProperties": content,
        },
        "option": obj(OPTION_FIELDS, anyOf=[{"required": ["key"]}, {"required": ["phrases"]}]),
        "case": obj(CASE_FIELDS),
        "condition": condition_schema(),
        "window": obj(WINDOW_FIELDS),
        "defaults": obj(DEFAULTS_FIELDS),
        "node": {"oneOf": [ref(f"node_{t}") for t in NODE_FIELDS]},
    }
    defs.update({f"node_{t}": node_schema(t, f) for t, f in NODE_FIELDS.items()})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://futures-ivr.example/schemas/flow.json",
        "title": "futures-ivr flow",
        "description": "A voice menu flow; see docs/flows.md",
        **obj(FLOW_FIELDS),
        "$defs": defs,
    }
