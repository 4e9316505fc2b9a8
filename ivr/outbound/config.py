"""Reading `config/dialer.yaml`: one `KindPolicy` per kind of automated call.

Every problem of the file is reported together as `file:line: message` (a `ConfigError`), e.g.
`config/dialer.yaml:7: kinds.margin_notice.window: 'sometimes' is not a window; use trading or
daily`. Unknown keys are refused (a typo would silently change a legal duty's retries).
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import yaml

from ivr.errors import ConfigError
from ivr.outbound.policy import RETRYABLE, KindPolicy, Window

_KIND_KEYS = {"flow", "caller_id", "window", "lead_min", "start", "end", "max_attempts"}
_KIND_KEYS |= {"retry_after_s"}


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[str] = []

    def fail(self, node: yaml.Node, where: str, message: str) -> None:
        self.errors.append(f"{self.path}:{node.start_mark.line + 1}: {where}: {message}")

    def mapping(self, node: yaml.Node, where: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, where, "must be a mapping")
            return {}
        return {str(k.value): v for k, v in node.value}

    def scalar(self, node: yaml.Node, where: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.fail(node, where, "must be a value")
            return None
        return str(node.value).strip()

    def number(self, node: yaml.Node, where: str, default: float) -> float:
        text = self.scalar(node, where)
        try:
            value = float(text or "")
        except ValueError:
            self.fail(node, where, f"{text!r} is not a number; write e.g. 300")
            return default
        if value < 0:
            self.fail(node, where, "must not be negative")
        return value

    def clock(self, node: yaml.Node, where: str, default: time) -> time:
        text = self.scalar(node, where) or ""
        try:
            return time.fromisoformat(text)
        except ValueError:
            self.fail(node, where, f'{text!r} is not a time of day; write e.g. "09:00"')
            return default


def _kind(r: _Reader, name: str, node: yaml.Node) -> KindPolicy | None:
    where = f"kinds.{name}"
    fields = r.mapping(node, where)
    for key, value in fields.items():
        if key not in _KIND_KEYS:
            r.fail(value, f"{where}.{key}", f"unknown key; known: {', '.join(sorted(_KIND_KEYS))}")
    for key in ("flow", "caller_id", "window", "max_attempts"):
        if key not in fields:
            r.fail(node, where, f"'{key}' is missing")
    if any(k not in fields for k in ("flow", "caller_id", "window", "max_attempts")):
        return None
    window_kind = r.scalar(fields["window"], f"{where}.window")
    if window_kind not in ("trading", "daily"):
        r.fail(
            fields["window"],
            f"{where}.window",
            f"{window_kind!r} is not a window; use trading or daily",
        )
        return None
    lead = fields.get("lead_min")
    start, end = fields.get("start"), fields.get("end")
    window = Window(
        "trading" if window_kind == "trading" else "daily",
        lead_min=int(r.number(lead, f"{where}.lead_min", 0)) if lead is not None else 0,
        start=r.clock(start, f"{where}.start", time(9)) if start is not None else time(9),
        end=r.clock(end, f"{where}.end", time(20)) if end is not None else time(20),
    )
    retries: dict[str, float] = {}
    if "retry_after_s" in fields:
        for result, value in r.mapping(fields["retry_after_s"], f"{where}.retry_after_s").items():
            if result not in RETRYABLE:
                r.fail(
                    value,
                    f"{where}.retry_after_s.{result}",
                    f"not a retryable result; use {', '.join(RETRYABLE)}",
                )
            retries[result] = r.number(value, f"{where}.retry_after_s.{result}", 300)
    attempts = int(r.number(fields["max_attempts"], f"{where}.max_attempts", 1))
    if attempts < 1:
        r.fail(fields["max_attempts"], f"{where}.max_attempts", "must be at least 1")
    return KindPolicy(
        name=name,
        flow=r.scalar(fields["flow"], f"{where}.flow") or "",
        caller_id=r.scalar(fields["caller_id"], f"{where}.caller_id") or "",
        window=window,
        max_attempts=max(1, attempts),
        retry_after_s=retries,
    )


def load_dialer_config(path: Path) -> dict[str, KindPolicy]:
    """The policies of `path` by kind; `ConfigError` listing every problem."""
    try:
        root: Any = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the dialer policies ({exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    r = _Reader(path)
    top = r.mapping(root, "file") if root is not None else {}
    if "kinds" not in top:
        raise ConfigError(f"{path}:1: 'kinds' is missing; see docs/dialer.md")
    policies: dict[str, KindPolicy] = {}
    for name, node in r.mapping(top["kinds"], "kinds").items():
        policy = _kind(r, name, node)
        if policy is not None:
            policies[name] = policy
    if r.errors:
        raise ConfigError("\n".join(r.errors))
    return policies
