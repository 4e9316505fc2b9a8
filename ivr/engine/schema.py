"""JSON Schema (draft 2020-12) of the flow language, built from `ivr.engine.fields` (pure).

Editors use it for completion and basic checks; `ivr flows validate` remains the authority
(targets, queues, providers and languages are checked there, not here).
"""

from __future__ import annotations

from typing import Any

from ivr.engine.fields import (
    AUDIO_FIELDS,
    CASE_FIELDS,
    COMPARE_OPS,
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
STRING_MAP: Schema = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean"]},
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
    "language": {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
    "languages": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    "bool": {"type": "boolean"},
    "seconds": {"type": "number", "minimum": 0.1, "maximum": 86400},
    "record_seconds": {"type": "number", "minimum": 1, "maximum": 3600},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    "count": {"type": "integer", "minimum": 0, "maximum": 10},
    "digits": {"type": "integer", "minimum": 1, "maximum": 64},
    "dtmf": {"type": "string", "pattern": "^[0-9*#]$"},
    "terminator": {"enum": ["", "#", "*"]},
    "mask": {"enum": [True, False, "partial"]},
    "regex": {"type": "string", "format": "regex"},
    "priority": {"enum": list(PRIORITIES)},
    "text_list": {"type": "array", "items": {"type": "string"}},
    "params": STRING_MAP,
    "vars": STRING_MAP,
    "add": {"type": "object", "additionalProperties": {"type": "integer"}},
    "skills": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "results": {"type": "object", "additionalProperties": {"type": "string", "pattern": NAME}},
    "phrases": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    "prompt": ref("prompt"),
    "options": {"type": "array", "minItems": 1, "items": ref("option")},
    "cases": {"type": "array", "minItems": 1, "items": ref("case")},
    "condition": ref("condition"),
    "hours": {"type": "array", "minItems": 1, "items": ref("window")},
    "days": {"type": "array", "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}},
    "hhmm": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
    "defaults": ref("defaults"),
    "nodes": {"type": "object", "minProperties": 1, "additionalProperties": ref("node")},
}


def obj(fields: dict[str, str], **extra: Any) -> Schema:
    props = {name: KINDS[base_kind(kind)] for name, kind in fields.items() if kind != "type!"}
    required = [name for name, kind in fields.items() if is_required(kind)]
    out: Schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return {**out, **extra}


def node_schema(type_name: str, fields: dict[str, str]) -> Schema:
    schema = obj(fields)
    schema["properties"]["type"] = {"const": type_name}
    return schema


def condition_schema() -> Schema:
    compare_props: Schema = {op: {} for op in COMPARE_OPS}
    many = {"type": "array", "minItems": 1, "items": ref("condition")}
    return {
        "type": "object",
        "oneOf": [
            {"required": ["var"], "properties": {"var": KINDS["ident"], **compare_props}},
            {
                "required": ["attribute"],
                "properties": {"attribute": KINDS["ident"], **compare_props},
            },
            {"required": ["language"], "properties": {"language": KINDS["language"]}},
            {"required": ["business_hours"], "properties": {"business_hours": {"type": "boolean"}}},
            {"required": ["market_open"], "properties": {"market_open": {"type": "boolean"}}},
            {"required": ["all"], "properties": {"all": many}},
            {"required": ["any"], "properties": {"any": many}},
            {"required": ["not"], "properties": {"not": ref("condition")}},
        ],
    }


def flow_schema() -> Schema:
    content = {"oneOf": [{"type": "string"}, obj(TTS_FIELDS), obj(AUDIO_FIELDS)]}
    defs: Schema = {
        "prompt": {"type": "object", "minProperties": 1, "additionalProperties": content},
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
