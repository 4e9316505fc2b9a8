"""Loader of the trading calendar file (`config/trading_calendar.yaml`) into a `TradingCalendar`.

Rules: the model and its session rule are `ivr.engine.calendar`; this module only reads YAML.
`load_trading_calendar` reports every problem of the file at once as `path:line:col: message`
(`ErrorList` of `LocatedError`). Stdlib + PyYAML only.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.engine.calendar import NIGHT, ProductGroup, Session, TradingCalendar
from ivr.engine.yamlread import compose_file
from ivr.errors import ErrorList, LocatedError

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)\Z")
_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
_TOP_KEYS = ("timezone", "day_sessions", "night_sessions", "holidays", "known_through")


class _Reader:
    """Reads composed YAML nodes, collecting located errors instead of raising."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[LocatedError] = []

    def error(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(
            LocatedError(message, path=self.path, line=mark.line + 1, column=mark.column + 1)
        )

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping")
            return {}
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if allowed and name not in allowed:
                self.error(
                    key, f"{what}: unknown key '{name}' (expected one of {', '.join(allowed)})"
                )
            else:
                out[name] = value
        return out

    def sequence(self, node: Node, what: str) -> list[Node]:
        if isinstance(node, SequenceNode):
            return list(node.value)
        self.error(node, f"{what} must be a list")
        return []

    def text(self, node: Node, what: str) -> str | None:
        if isinstance(node, ScalarNode) and str(node.value) != "":
            return str(node.value)
        self.error(node, f"{what} must be a non-empty text")
        return None

    def hhmm(self, node: Node, what: str) -> time | None:
        value = self.text(node, what)
        match = _HHMM.match(value or "")
        if value is not None and match is None:
            self.error(node, f"{what} must be a time HH:MM, e.g. \"21:00\" (got '{value}')")
        return time(int(match[1]), int(match[2])) if match else None

    def name(self, node: Node, what: str) -> str | None:
        value = self.text(node, what)
        if value is not None and not _NAME.match(value):
            self.error(node, f"{what} '{value}' must be lowercase letters, digits, '_' or '-'")
            return None
        return value

    def day(self, node: Node, what: str) -> date | None:
        value = self.text(node, what)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            self.error(node, f"{what} must be a date YYYY-MM-DD (got '{value}')")
            return None


def _session_from(
    r: _Reader, node: Node, fields: dict[str, Node], what: str, name: str | None
) -> Session | None:
    for key in ("start", "end"):
        if key not in fields:
            r.error(node, f"{what}: '{key}' is missing")
    start = r.hhmm(fields["start"], f"{what}: 'start'") if "start" in fields else None
    end = r.hhmm(fields["end"], f"{what}: 'end'") if "end" in fields else None
    if name is None or start is None or end is None:
        return None
    return Session(name, start, end)


def _day_session(r: _Reader, node: Node, what: str) -> Session | None:
    fields = r.mapping(node, what, ("name", "start", "end"))
    if not fields:
        return None
    name = r.name(fields["name"], f"{what}: 'name'") if "name" in fields else None
    if "name" not in fields:
        r.error(node, f"{what}: 'name' is missing")
    return _session_from(r, node, fields, what, name)


def _day_sessions(r: _Reader, node: Node) -> tuple[Session, ...]:
    sessions: list[Session] = []
    for index, item in enumerate(r.sequence(node, "'day_sessions'")):
        session = _day_session(r, item, f"day session {index + 1}")
        if session is None:
            continue
        if session.crosses_midnight:
            r.error(item, f"day session '{session.name}': 'end' must be after 'start'")
        elif sessions and session.start < sessions[-1].end:
            r.error(item, f"day session '{session.name}' starts before '{sessions[-1].name}' ends")
        sessions.append(session)
    return tuple(sessions)


def _products(r: _Reader, node: Node | None, what: str) -> frozenset[str]:
    if node is None:
        return frozenset()
    items = [r.text(item, f"{what}: product") for item in r.sequence(node, f"{what}: 'products'")]
    return frozenset(item.lower() for item in items if item)


def _group(r: _Reader, name: str, node: Node, first_day_start: time | None) -> ProductGroup:
    what = f"night group '{name}'"
    if isinstance(node, ScalarNode) and node.tag.endswith(":null"):
        return ProductGroup(name, None)
    fields = r.mapping(node, what, ("start", "end", "products"))
    products = _products(r, fields.get("products"), what)
    if "start" not in fields and "end" not in fields:
        return ProductGroup(name, None, products)  # a group without night trading
    night = _session_from(r, node, fields, what, NIGHT)
    if night and night.crosses_midnight and first_day_start and night.end > first_day_start:
        r.error(node, f"{what}: 'end' {night.end:%H:%M} runs into the day sessions")
    return ProductGroup(name, night, products)


def _groups(
    r: _Reader, node: Node, day_sessions: tuple[Session, ...]
) -> tuple[dict[str, ProductGroup], str | None]:
    fields = r.mapping(node, "'night_sessions'", ("default", "groups"))
    first = day_sessions[0].start if day_sessions else None
    groups: dict[str, ProductGroup] = {}
    groups_node = fields.get("groups")
    if groups_node is None:
        r.error(node, "'night_sessions': 'groups' is missing")
    for key, value in (
        r.mapping(groups_node, "'night_sessions.groups'", ()).items() if groups_node else ()
    ):
        groups[key] = _group(r, key, value, first)
    default = r.text(fields["default"], "'night_sessions.default'") if "default" in fields else None
    if "default" not in fields:
        r.error(node, "'night_sessions': 'default' is missing (the emergency desk's group)")
    elif default is not None and default not in groups:
        known = ", ".join(groups) or "none"
        r.error(
            fields["default"],
            f"'night_sessions.default' names unknown group '{default}' (groups: {known})",
        )
        default = None
    return groups, default


def _holidays(r: _Reader, node: Node) -> dict[date, str]:
    out: dict[date, str] = {}
    for item in r.sequence(node, "'holidays'"):
        fields = r.mapping(item, "holiday", ("date", "name"))
        if "date" not in fields:
            r.error(item, "holiday: 'date' is missing")
            continue
        day = r.day(fields["date"], "holiday 'date'")
        name = r.text(fields["name"], "holiday 'name'") if "name" in fields else "holiday"
        if day is None:
            continue
        if day.weekday() >= 5:
            r.error(
                fields["date"],
                f"holiday {day} is a {day:%A}; the exchanges never trade on weekends",
            )
        elif day in out:
            r.error(fields["date"], f"holiday {day} is listed twice")
        out[day] = name or "holiday"
    return out


def _timezone(r: _Reader, node: Node | None) -> str:
    if node is None:
        return "Asia/Shanghai"
    value = r.text(node, "'timezone'") or "Asia/Shanghai"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        r.error(node, f"'timezone' '{value}' is not a known IANA zone, e.g. Asia/Shanghai")
    return value


def parse_trading_calendar(text: str, path: Path | str) -> TradingCalendar:
    """Build a calendar from YAML `text` (read from `path`); raises `ErrorList` on any problem."""
    r = _Reader(Path(path))
    root = compose_file(text, path)
    top = r.mapping(root, "the calendar", _TOP_KEYS)
    for key in _TOP_KEYS[1:3]:
        if key not in top:
            r.error(root, f"'{key}' is missing")
    days = _day_sessions(r, top["day_sessions"]) if "day_sessions" in top else ()
    groups, default = (
        _groups(r, top["night_sessions"], days) if "night_sessions" in top else ({}, None)
    )
    holidays = _holidays(r, top["holidays"]) if "holidays" in top else {}
    zone = _timezone(r, top.get("timezone"))
    known = _known_through(r, top.get("known_through"), holidays)
    if r.errors or default is None:
        raise ErrorList(sorted(r.errors, key=lambda e: (e.line, e.column)))
    return TradingCalendar(days, groups, default, holidays, zone, known)


def _known_through(r: _Reader, node: Node | None, holidays: dict[date, str]) -> date | None:
    """The explicit coverage: no listed holiday may lie after it."""
    if node is None:
        return None
    known = r.day(node, "'known_through'")
    later = sorted(day for day in holidays if known is not None and day > known)
    if later:
        r.error(
            node,
            f"'known_through' {known} is before the listed holiday {later[0]};"
            " set it to the last day whose closures are known",
        )
    return known


def load_trading_calendar(path: Path | str) -> TradingCalendar:
    """Read and check `config/trading_calendar.yaml`; raises `ErrorList` (file:line:col)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ErrorList(
            [
                LocatedError(
                    f"cannot read the trading calendar: {exc.strerror}", path=path, line=1, column=1
                )
            ]
        ) from None
    return parse_trading_calendar(text, path)
