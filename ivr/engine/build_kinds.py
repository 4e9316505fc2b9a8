"""Parsers of the value kinds of flow files: names, numbers, keys, lists, mappings, prompts.

Role: one `p_<kind>(reader, node, where, field)` per kind named in `ivr.engine.fields`
(`text`, `ident`, `language`, `seconds`, `dtmf`, `params`, `prompt`, `days`, `hhmm`, ...).
Each returns the parsed value, or records a located error on the `Reader` and returns None.
Structured kinds that read nested field tables (options, cases, business hours, defaults) are
in `ivr.engine.build`; conditions in `ivr.engine.build_conditions`.

Rules: pure; every message says what was expected (`Reader.fail`).
"""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode

from ivr.engine import model as m
from ivr.engine.fields import AUDIO_FIELDS, PRIORITIES, TTS_FIELDS
from ivr.engine.yamlread import Reader, pos_of

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
FLOW_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
WORD = re.compile(r"[a-z][a-z0-9_]*\Z")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
DTMF = frozenset("0123456789*#")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def p_text(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.text(n, where, fld)


def p_ident(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, IDENT, "a name of letters, digits and _")


def p_flow_name(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, FLOW_NAME, "a lower-case name of letters, digits and _")


def p_word(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, WORD, "a lower-case word of letters, digits and _")


def p_prefix(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value and not IDENT.match(value):
        r.fail(where, n, fld, "a name prefix of letters, digits and _")
        return None
    return value


def p_language(r: Reader, n: Node, where: str, fld: str) -> str | None:
    return r.matching(n, where, fld, LANGUAGE, "a language tag such as zh-CN or en")


def p_bool(r: Reader, n: Node, where: str, fld: str) -> bool | None:
    return r.boolean(n, where, fld)


def p_seconds(r: Reader, n: Node, where: str, fld: str) -> float | None:
    return r.number(n, where, fld, 0.1, 86400)


def p_record_seconds(r: Reader, n: Node, where: str, fld: str) -> float | None:
    return r.number(n, where, fld, 1, 3600)


def p_confidence(r: Reader, n: Node, where: str, fld: str) -> float | None:
    return r.number(n, where, fld, 0, 1)


def p_count(r: Reader, n: Node, where: str, fld: str) -> int | None:
    return r.integer(n, where, fld, 0, 10)


def p_digits(r: Reader, n: Node, where: str, fld: str) -> int | None:
    return r.integer(n, where, fld, 1, 64)


def p_dtmf(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and (len(value) != 1 or value not in DTMF):
        r.fail(where, n, fld, 'one key of 0-9, * or # (quote it: "1")')
        return None
    return value


def p_terminator(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in ("", "#", "*"):
        r.fail(where, n, fld, '"#", "*" or "" (none)')
        return None
    return value


def p_decimal_key(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in ("*", "#"):
        r.fail(where, n, fld, '"*" or "#"')
        return None
    return value


def p_mask(r: Reader, n: Node, where: str, fld: str) -> str | None:
    if isinstance(n, ScalarNode) and n.tag.endswith(":bool"):
        return "full" if r.boolean(n, where, fld) else ""
    if isinstance(n, ScalarNode) and n.value == "partial":
        return "partial"
    r.fail(where, n, fld, "true, false or partial")
    return None


HOURS_CALENDAR = ("trading_day", "night_session")


def p_hours_calendar(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in HOURS_CALENDAR:
        r.fail(where, n, fld, "trading_day or night_session")
        return None
    return value


def p_regex(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is None:
        return None
    try:
        re.compile(value)
    except re.error as exc:
        r.error(n, f"{where}: 'pattern' is not a valid regular expression ({exc})")
        return None
    return value


def p_priority(r: Reader, n: Node, where: str, fld: str) -> str | None:
    value = r.text(n, where, fld)
    if value is not None and value not in PRIORITIES:
        r.fail(where, n, fld, "normal, vip or emergency")
        return None
    return value


def p_text_list(r: Reader, n: Node, where: str, fld: str) -> tuple[str, ...] | None:
    items = r.text_list(n, where, fld)
    return None if items is None else tuple(v for v, _ in items)


def p_languages(r: Reader, n: Node, where: str, fld: str) -> tuple[str, ...] | None:
    items = r.text_list(n, where, fld)
    if items is None:
        return None
    if not items:
        r.fail(where, n, fld, "a non-empty list of language tags")
        return None
    for value, item in items:
        if not LANGUAGE.match(value):
            r.fail(where, item, fld, "a list of language tags such as zh-CN or en")
            return None
    return tuple(v for v, _ in items)


# ---- mappings ---------------------------------------------------------------------------------


def _mapping(r: Reader, n: Node, where: str, fld: str) -> list[tuple[str, Node, Node]] | None:
    if not isinstance(n, MappingNode):
        r.fail(where, n, fld, "a mapping")
        return None
    return r.pairs(n, where)


def p_params(r: Reader, n: Node, where: str, fld: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        text = r.scalar_text(value, where, f"{fld}.{key}")
        if text is not None:
            out[key] = text
    return out if isinstance(n, MappingNode) else None


def p_vars(r: Reader, n: Node, where: str, fld: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for key, key_node, value in _mapping(r, n, where, fld) or []:
        if not IDENT.match(key):
            r.error(key_node, f"{where}: variable name '{key}' must be letters, digits and _")
            continue
        text = r.scalar_text(value, where, f"{fld}.{key}")
        if text is not None:
            out[key] = text
    return out if isinstance(n, MappingNode) else None


def p_add(r: Reader, n: Node, where: str, fld: str) -> dict[str, int] | None:
    out: dict[str, int] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        number = r.integer(value, where, f"{fld}.{key}", -1000, 1000)
        if number is not None:
            out[key] = number
    return out if isinstance(n, MappingNode) else None


def p_skills(r: Reader, n: Node, where: str, fld: str) -> dict[str, int] | None:
    out: dict[str, int] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        level = r.integer(value, where, f"skills.{key}", 1, 5)
        if level is not None:
            out[key] = level
    return out if isinstance(n, MappingNode) else None


def p_results(r: Reader, n: Node, where: str, fld: str) -> dict[str, tuple[str, m.Pos]] | None:
    out: dict[str, tuple[str, m.Pos]] = {}
    for key, _, value in _mapping(r, n, where, fld) or []:
        target = p_ident(r, value, where, f"results.{key}")
        if target is not None:
            out[key] = (target, pos_of(value))
    return out if isinstance(n, MappingNode) else None


def p_phrases(r: Reader, n: Node, where: str, fld: str) -> dict[str, tuple[str, ...]] | None:
    out: dict[str, tuple[str, ...]] = {}
    for lang, _, value in _mapping(r, n, where, fld) or []:
        items = r.text_list(value, where, f"phrases.{lang}")
        if items is not None:
            out[lang] = tuple(v for v, _ in items)
    return out if isinstance(n, MappingNode) else None


def p_prompt(r: Reader, n: Node, where: str, fld: str) -> m.PromptDef | None:
    contents: dict[str, m.Content] = {}
    marks: dict[str, m.Pos] = {}
    pairs = _mapping(r, n, where, fld)
    if pairs is None:
        return None
    for lang, _, value in pairs:
        content = _content(r, value, where, f"{fld}.{lang}")
        if content is not None:
            contents[lang] = content
            marks[lang] = pos_of(value)
    return m.PromptDef(contents, pos_of(n), marks)


def _content(r: Reader, n: Node, where: str, fld: str) -> m.Content | None:
    if isinstance(n, ScalarNode):
        text = r.text(n, where, fld)
        return None if text is None else m.TtsContent(text)
    is_audio = isinstance(n, MappingNode) and any(k.value == "audio" for k, _ in n.value)
    allowed = AUDIO_FIELDS if is_audio else TTS_FIELDS
    found = r.fields(n, where, allowed, what="a text, {text: ...} or {audio: ...}")
    if found is None:
        return None
    values = {k: r.text(v, where, f"{fld}.{k}") for k, (_, v) in found.items()}
    if is_audio:
        audio = values.get("audio")
        return None if audio is None else m.AudioContent(audio)
    text = values.get("text")
    return None if text is None else m.TtsContent(text, values.get("voice"))


# ---- business hours ---------------------------------------------------------------------------


def p_days(r: Reader, n: Node, where: str, fld: str) -> frozenset[int] | None:
    items = r.text_list(n, where, fld)
    if items is None:
        return None
    days = set()
    for value, item in items:
        if value not in DAYS:
            r.fail(where, item, fld, "a day: " + " ".join(DAYS))
            return None
        days.add(DAYS.index(value))
    return frozenset(days)


def p_hhmm(r: Reader, n: Node, where: str, fld: str) -> int | None:
    value = r.text(n, where, fld)
    match = HHMM.match(value) if value is not None else None
    if match is None:
        if value is not None:
            r.fail(where, n, fld, 'a time "HH:MM"')
        return None
    return int(match.group(1)) * 60 + int(match.group(2))
