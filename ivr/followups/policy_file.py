"""Loader of `config/followups.yaml` into a `FollowupPolicy` (see `ivr.followups.policy`).

Rules: every problem of the file is reported at once as `path:line:col: message` (`ErrorList`
of `LocatedError`), naming the key and what would fix it; all seven kinds must be configured;
ticket kinds and callback reasons may only name configured kinds. Stdlib + PyYAML only.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from ivr.engine.yamlread import compose_file
from ivr.errors import ErrorList, LocatedError
from ivr.followups.policy import PRIORITIES, Due, FollowupPolicy, ItemPriority, KindPolicy, Rule
from ivr.followups.status import KINDS

_TOP = ("kinds", "tickets", "callbacks", "default_callback")
_KIND_KEYS = ("priority", "due", "alert", "escalate_after_min")
_DUE_KEYS = ("within_min", "closed", "at", "trading_days")
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[LocatedError] = []

    def error(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(
            LocatedError(message, path=self.path, line=mark.line + 1, column=mark.column + 1)
        )

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...] = ()) -> dict[str, Node]:
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

    def scalar(self, node: Node, what: str) -> str | None:
        if isinstance(node, ScalarNode) and str(node.value) != "":
            return str(node.value)
        self.error(node, f"{what} must be a non-empty text")
        return None

    def count(self, node: Node, what: str) -> int | None:
        value = self.scalar(node, what)
        if value is not None and not (value.isascii() and value.isdigit() and len(value) <= 9):
            self.error(node, f"{what} must be a whole number of at least 1 (got '{value}')")
            return None
        if value is not None and int(value) < 1:
            self.error(node, f"{what} must be a whole number of at least 1 (got '{value}')")
            return None
        return int(value) if value is not None else None

    def flag(self, node: Node, what: str) -> bool:
        value = self.scalar(node, what)
        if value not in ("true", "false"):
            self.error(node, f"{what} must be true or false (got '{value}')")
        return value == "true"

    def kind(self, node: Node, what: str) -> str | None:
        value = self.scalar(node, what)
        if value is not None and value not in KINDS:
            self.error(node, f"{what} '{value}' is not a kind (one of {', '.join(KINDS)})")
            return None
        return value


def _due(r: _Reader, node: Node, what: str) -> Due | None:
    fields = r.mapping(node, what, _DUE_KEYS)
    rules = [k for k in ("within_min", "at", "trading_days") if k in fields]
    if len(rules) != 1:
        r.error(node, f"{what} needs exactly one of within_min, at, trading_days")
        return None
    for key, only in (("at", "next_open"), ("closed", "next_open")):
        if key in fields and r.scalar(fields[key], f"{what} '{key}'") not in (only, None):
            r.error(fields[key], f"{what} '{key}' can only be '{only}'")
    if "closed" in fields and "within_min" not in fields:
        r.error(fields["closed"], f"{what} 'closed' goes with 'within_min'")
    if "at" in fields:
        return Due(at_next_open=True)
    if "trading_days" in fields:
        return Due(trading_days=r.count(fields["trading_days"], f"{what} 'trading_days'"))
    minutes = r.count(fields["within_min"], f"{what} 'within_min'")
    return Due(within_min=minutes, closed_next_open="closed" in fields)


def _priority(r: _Reader, node: Node, what: str) -> ItemPriority | None:
    value = r.scalar(node, what)
    for priority in PRIORITIES:
        if value == priority:
            return priority
    r.error(node, f"{what} '{value}' must be one of {', '.join(PRIORITIES)}")
    return None


def _kind_policy(r: _Reader, node: Node, what: str, base: KindPolicy | None) -> KindPolicy | None:
    # `recorded` belongs to a kind (a callback reason's override cannot change it)
    fields = r.mapping(
        node, what, (*_KIND_KEYS, "recorded") if base is None else ("kind", *_KIND_KEYS)
    )
    if base is None:
        for key in ("priority", "due"):
            if key not in fields:
                r.error(node, f"{what}: '{key}' is missing")
        if "priority" not in fields or "due" not in fields:
            return None
    out = base or KindPolicy("normal", Due(within_min=60))
    if "priority" in fields and (p := _priority(r, fields["priority"], f"{what} 'priority'")):
        out = replace(out, priority=p)
    if "due" in fields and (due := _due(r, fields["due"], f"{what} 'due'")):
        out = replace(out, due=due)
    if "alert" in fields:
        out = replace(out, alert=r.flag(fields["alert"], f"{what} 'alert'"))
    if "recorded" in fields:
        out = replace(out, recorded=r.flag(fields["recorded"], f"{what} 'recorded'"))
    if "escalate_after_min" in fields:
        after = r.count(fields["escalate_after_min"], f"{what} 'escalate_after_min'")
        out = replace(out, escalate_after_min=after or out.escalate_after_min)
    return out


def _callbacks(
    r: _Reader, node: Node, kinds: dict[str, KindPolicy], default: str | None
) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for reason, value in r.mapping(node, "'callbacks'").items():
        what = f"callback reason '{reason}'"
        fields = r.mapping(value, what)
        kind = r.kind(fields["kind"], f"{what} 'kind'") if "kind" in fields else default
        if kind is None or kind not in kinds:
            if kind is not None:
                r.error(value, f"{what}: kind '{kind}' is not configured under 'kinds'")
            continue
        policy = _kind_policy(r, value, what, kinds[kind])
        if policy is not None:
            out[reason] = Rule(kind, policy)
    return out


def parse_followup_policy(text: str, path: Path | str) -> FollowupPolicy:
    """Build the policy from YAML `text` (read from `path`); raises `ErrorList`."""
    r = _Reader(Path(path))
    root = compose_file(text, path)
    top = r.mapping(root, "the follow-up policy", _TOP)
    kinds: dict[str, KindPolicy] = {}
    if "kinds" not in top:
        r.error(root, "'kinds' is missing: give each kind a priority and a due rule")
    for name, node in r.mapping(top["kinds"], "'kinds'").items() if "kinds" in top else ():
        what = f"kind '{name}'"
        if name not in KINDS:
            r.error(node, f"{what} is not a kind (one of {', '.join(KINDS)})")
        elif (policy := _kind_policy(r, node, what, None)) is not None:
            kinds[name] = policy
    missing = [k for k in KINDS if k not in kinds]
    if "kinds" in top and missing and not r.errors:
        r.error(top["kinds"], f"'kinds': no policy for {', '.join(missing)}: add them")
    tickets: dict[str, str] = {}
    for ticket, node in r.mapping(top["tickets"], "'tickets'").items() if "tickets" in top else ():
        if (kind := r.kind(node, f"ticket kind '{ticket}'")) is not None:
            tickets[ticket] = kind
    default: str | None = "callback"
    if "default_callback" in top:
        value = r.scalar(top["default_callback"], "'default_callback'")
        default = None if value == "none" else r.kind(top["default_callback"], "'default_callback'")
    callbacks = _callbacks(r, top["callbacks"], kinds, default) if "callbacks" in top else {}
    if r.errors:
        raise ErrorList(sorted(r.errors, key=lambda e: (e.line, e.column)))
    return FollowupPolicy(kinds, tickets, callbacks, default)


def load_followup_policy(path: Path | str) -> FollowupPolicy:
    """Read and check `config/followups.yaml`; raises `ErrorList` (file:line:col)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ErrorList(
            [LocatedError(f"cannot read the file: {exc.strerror}", path=path, line=1, column=1)]
        ) from None
    return parse_followup_policy(text, path)
