"""The flow language's field tables: names and kinds of every field (pure data).

One source for the loader (unknown/missing fields, did-you-mean) and the JSON Schema
(`ivr.engine.schema`). A kind ending in `!` marks a required field.
"""

from __future__ import annotations

FLOW_FIELDS: dict[str, str] = {
    "flow": "flow_name!",
    "description": "text",
    "languages": "languages!",
    "numbers": "text_list",
    "start": "node!",
    "recovery": "node",
    "replay_key": "terminator",
    "business_hours": "hours",
    "defaults": "defaults",
    "variables": "vars",
    "nodes": "nodes!",
}

DEFAULTS_FIELDS: dict[str, str] = {
    "timeout_s": "seconds",
    "interdigit_timeout_s": "seconds",
    "retries": "count",
    "min_confidence": "confidence",
    "confirm_below": "confidence",
    "fallback": "node",
    "no_input_prompt": "prompt",
    "no_match_prompt": "prompt",
}

_COMMON = {"type": "type!", "label": "text"}

NODE_FIELDS: dict[str, dict[str, str]] = {
    "say": {**_COMMON, "prompt": "prompt!", "next": "node!", "barge_in": "bool"},
    "menu": {
        **_COMMON,
        "prompt": "prompt!",
        "options": "options!",
        "fallback": "node",
        "timeout_s": "seconds",
        "retries": "count",
        "min_confidence": "confidence",
        "confirm_below": "confidence",
        "confirm_prompt": "prompt",
        "speech": "bool",
        "no_input_prompt": "prompt",
        "no_match_prompt": "prompt",
    },
    "collect": {
        **_COMMON,
        "prompt": "prompt!",
        "var": "ident!",
        "next": "node!",
        "fallback": "node",
        "min_digits": "digits",
        "max_digits": "digits",
        "terminator": "terminator",
        "decimal_key": "decimal_key",
        "timeout_s": "seconds",
        "interdigit_timeout_s": "seconds",
        "mask": "mask",
        "pattern": "regex",
        "retries": "count",
        "no_input_prompt": "prompt",
        "invalid_prompt": "prompt",
    },
    "branch": {**_COMMON, "cases": "cases!", "otherwise": "node!"},
    "lookup": {
        **_COMMON,
        "provider": "ident!",
        "params": "params",
        "results": "results",
        "default": "node",
        "timeout_s": "seconds",
        "prefix": "prefix",
    },
    "queue": {
        **_COMMON,
        "queue": "ident!",
        "skills": "skills",
        "priority": "priority",
        "max_wait_s": "seconds",
        "overflow_queue": "ident",
        "overflow_after_s": "seconds",
        "offer_callback": "bool",
        "prompt": "prompt",
        "attributes": "params",
        "on_timeout": "node",
        "on_overflow": "node",
    },
    "record": {
        **_COMMON,
        "purpose": "word!",
        "next": "node!",
        "max_s": "record_seconds",
        "beep": "bool",
        "prompt": "prompt",
    },
    "goto": {**_COMMON, "node": "node", "flow": "flow_name"},
    "set": {**_COMMON, "next": "node!", "vars": "vars", "add": "add"},
    "language": {**_COMMON, "language": "language!", "next": "node!"},
    "transfer": {**_COMMON, "target": "text!", "prompt": "prompt"},
    "hangup": {**_COMMON, "prompt": "prompt", "reason": "word"},
    "result": {**_COMMON, "result": "word!", "next": "node!"},
}

OPTION_FIELDS: dict[str, str] = {
    "key": "dtmf",
    "phrases": "phrases",
    "intent": "ident",
    "label": "text",
    "next": "node!",
}
CASE_FIELDS: dict[str, str] = {"when": "condition!", "next": "node!"}
WINDOW_FIELDS: dict[str, str] = {
    "days": "days!",
    "open": "hhmm!",
    "close": "hhmm!",
    "calendar": "hours_calendar",
}
TTS_FIELDS: dict[str, str] = {"text": "text!", "voice": "text"}
AUDIO_FIELDS: dict[str, str] = {"audio": "text!"}

CONDITION_SUBJECTS = (
    "var", "attribute", "language", "business_hours", "market_open", "all", "any", "not",
)  # fmt: skip
COMPARE_OPS = ("equals", "not_equals", "in", "not_in", "gt", "ge", "lt", "le", "exists")
PRIORITIES = ("normal", "vip", "emergency")


def is_required(kind: str) -> bool:
    return kind.endswith("!")


def base_kind(kind: str) -> str:
    return kind.rstrip("!")
