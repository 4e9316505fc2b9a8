"""`config/recordings.yaml`: retention per purpose and the index's housekeeping settings.

Rules: read with `yaml.compose` so every problem is reported at its `path:line:col`; all
problems of the file are raised together (`RecordingsConfigErrors`). A missing file means the
built-in defaults (20 years for order records, 5 for complaints).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from recordings.errors import RecordingsConfigError, RecordingsConfigErrors, RecordingsError
from recordings.naming import PURPOSE
from recordings.retention import RetentionPolicy, RetentionRule

_TOP = ("timezone", "retention", "stale_open_hours", "pick_up_settle_s")
_RULE = ("years", "days", "order_record")
_INT = re.compile(r"\d+\Z")
_NUMBER = re.compile(r"\d+(\.\d+)?\Z")


@dataclass(frozen=True, slots=True)
class RecordingsConfig:
    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    stale_open_s: float = 6 * 3600.0  # an unsealed row older than this counts as an orphan
    pick_up_settle_s: float = 5.0  # pick_up leaves files written to more recently alone


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[RecordingsConfigError] = []

    def error(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(
            RecordingsConfigError(
                message, path=self.path, line=mark.line + 1, column=mark.column + 1
            )
        )

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...] = ()) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping")
            return {}
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if allowed and name not in allowed:
                self.error(key, f"{what}: unknown key '{name}' (expected {', '.join(allowed)})")
            else:
                out[name] = value
        return out

    def scalar(self, node: Node, what: str, pattern: re.Pattern[str], expected: str) -> str | None:
        if isinstance(node, ScalarNode) and pattern.match(str(node.value)):
            return str(node.value)
        shown = node.value if isinstance(node, ScalarNode) else "a collection"
        self.error(node, f"{what} must be {expected} (got '{shown}')")
        return None

    def flag(self, node: Node, what: str) -> bool:
        value = self.scalar(node, what, re.compile(r"(true|false)\Z"), "true or false")
        return value == "true"


def _rule(r: _Reader, purpose: str, node: Node) -> RetentionRule | None:
    what = f"retention '{purpose}'"
    fields = r.mapping(node, what, _RULE)
    if "years" not in fields and "days" not in fields:
        r.error(node, f"{what}: give 'years' (and/or 'days')")
        return None
    numbers = {
        key: r.scalar(fields[key], f"{what}: '{key}'", _INT, "a whole number")
        for key in ("years", "days")
        if key in fields
    }
    if None in numbers.values():
        return None
    order = (
        r.flag(fields["order_record"], f"{what}: 'order_record'")
        if "order_record" in fields
        else False
    )
    try:
        years, days = int(numbers.get("years") or 0), int(numbers.get("days") or 0)
        return RetentionRule(purpose, years, days, order_record=order)
    except RecordingsError as exc:
        r.error(fields.get("years", node), str(exc))
        return None


def _rules(r: _Reader, node: Node) -> dict[str, RetentionRule]:
    rules: dict[str, RetentionRule] = {}
    for key_node, value in node.value if isinstance(node, MappingNode) else ():
        purpose = str(key_node.value)
        if not PURPOSE.match(purpose):
            r.error(key_node, f"purpose '{purpose}' must be lowercase letters, digits or '_'")
            continue
        rule = _rule(r, purpose, value)
        if rule is not None:
            rules[purpose] = rule
    if not isinstance(node, MappingNode):
        r.error(node, "'retention' must be a mapping of purpose -> {years, days, order_record}")
    return rules


def _timezone(r: _Reader, node: Node) -> str:
    zone = r.scalar(node, "'timezone'", re.compile(r"\S+\Z"), "an IANA zone name")
    try:
        return str(ZoneInfo(zone or "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError):
        r.error(node, f"'timezone' '{zone}' is not a known IANA zone, e.g. Asia/Shanghai")
        return "Asia/Shanghai"


def _number(r: _Reader, node: Node | None, what: str, default: float) -> float:
    if node is None:
        return default
    value = r.scalar(node, what, _NUMBER, "a number")
    return float(value) if value is not None else default


def parse_recordings_config(text: str, path: Path | str) -> RecordingsConfig:
    """Build the config from YAML `text`; raises `RecordingsConfigErrors` listing every problem."""
    r = _Reader(Path(path))
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        error = RecordingsConfigError(
            f"not valid YAML: {exc.problem}", path=path, line=line, column=col
        )
        raise RecordingsConfigErrors([error]) from None
    if root is None:
        return RecordingsConfig()
    top = r.mapping(root, "the recordings config", _TOP)
    zone = _timezone(r, top["timezone"]) if "timezone" in top else "Asia/Shanghai"
    rules = _rules(r, top["retention"]) if "retention" in top else None
    stale_h = _number(r, top.get("stale_open_hours"), "'stale_open_hours'", 6.0)
    settle_s = _number(r, top.get("pick_up_settle_s"), "'pick_up_settle_s'", 5.0)
    if r.errors:
        raise RecordingsConfigErrors(sorted(r.errors, key=lambda e: (e.line, e.column)))
    policy = RetentionPolicy(rules, zone) if rules is not None else RetentionPolicy(timezone=zone)
    return RecordingsConfig(policy, stale_h * 3600.0, settle_s)


def load_recordings_config(path: Path | str) -> RecordingsConfig:
    """Read `config/recordings.yaml`; a missing file gives the defaults."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return RecordingsConfig()
    except OSError as exc:
        error = RecordingsConfigError(f"cannot read: {exc.strerror}", path=path, line=1, column=1)
        raise RecordingsConfigErrors([error]) from None
    return parse_recordings_config(text, path)
