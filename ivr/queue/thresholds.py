"""The wallboard's colour thresholds (`config/wallboard.yaml`, docs/reports.md): when a queue's
service level, longest wait or abandon rate turns its cell amber or red.

```yaml
service_level_pct: {amber_below: 80, red_below: 60}   # percent, 0-100; red_below <= amber_below
longest_wait_s:    {amber_above: 30, red_above: 60}   # seconds; red_above >= amber_above
abandon_rate_pct:  {amber_above: 5, red_above: 10}    # percent, 0-100; red_above >= amber_above
```

Rules: a missing file or a missing key keeps the defaults above; every problem of the file is
reported at once as `path:line:col: message` naming the key and the fix (`ErrorList`), so a
bad file stops `ivr serve` at start. `Bound.level(value)` states the rule (pure): a value
strictly beyond the red bound is red, beyond the amber bound amber, else green (no value: green).
The wallboard applies the same rule to the live figures in the page (`level` in
`wallboard-charts.js`, tested in Chromium), and leaves a figure with no value uncoloured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from yaml.nodes import MappingNode, Node, ScalarNode

from ivr.engine.errors import did_you_mean
from ivr.engine.yamlread import compose_file
from ivr.errors import ErrorList, LocatedError

Colour = Literal["green", "amber", "red"]


@dataclass(frozen=True, slots=True)
class Bound:
    """Amber and red bounds of one figure; `below`: bad when the value falls under them."""

    amber: float
    red: float
    below: bool

    def level(self, value: float | None) -> Colour:
        if value is None:
            return "green"
        if (value < self.red) if self.below else (value > self.red):
            return "red"
        if (value < self.amber) if self.below else (value > self.amber):
            return "amber"
        return "green"

    def as_json(self) -> dict[str, float]:
        side = "below" if self.below else "above"
        return {f"amber_{side}": self.amber, f"red_{side}": self.red}


@dataclass(frozen=True, slots=True)
class WallboardThresholds:
    service_level_pct: Bound = Bound(80.0, 60.0, below=True)
    longest_wait_s: Bound = Bound(30.0, 60.0, below=False)
    abandon_rate_pct: Bound = Bound(5.0, 10.0, below=False)

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name).as_json() for name in FIELDS}


FIELDS = ("service_level_pct", "longest_wait_s", "abandon_rate_pct")
_PERCENT = ("service_level_pct", "abandon_rate_pct")


def parse_thresholds(text: str, path: Path | str) -> WallboardThresholds:
    """The thresholds of a `wallboard.yaml` text; `ErrorList` of every located problem."""
    errors: list[LocatedError] = []

    def error(node: Node, message: str) -> None:
        mark = node.start_mark
        errors.append(LocatedError(message, path=path, line=mark.line + 1, column=mark.column + 1))

    root = compose_file(text, path)
    out = WallboardThresholds()
    if not isinstance(root, MappingNode):
        raise ErrorList([_at(root, path, "the file must be a mapping of " + ", ".join(FIELDS))])
    for key, value in root.value:
        name = str(key.value)
        if name not in FIELDS:
            error(key, f"unknown key '{name}'{did_you_mean(name, FIELDS)} "
                       f"(expected {', '.join(FIELDS)})")  # fmt: skip
            continue
        bound = _bound(name, value, getattr(out, name), error)
        if bound is not None:
            out = replace(out, **{name: bound})
    if errors:
        raise ErrorList(errors)
    return out


def _at(node: Node, path: Path | str, message: str) -> LocatedError:
    mark = node.start_mark
    return LocatedError(message, path=path, line=mark.line + 1, column=mark.column + 1)


def _bound(name: str, node: Node, base: Bound, error: Any) -> Bound | None:
    side = "below" if base.below else "above"
    keys = (f"amber_{side}", f"red_{side}")
    if not isinstance(node, MappingNode):
        error(node, f"{name} must be a mapping with {keys[0]} and {keys[1]}")
        return None
    values = {"amber": base.amber, "red": base.red}
    nodes: dict[str, Node] = {}
    ok = True
    for key, value in node.value:
        k = str(key.value)
        if k not in keys:
            error(key, f"{name}: unknown key '{k}'{did_you_mean(k, keys)} (expected {keys[0]} "
                       f"or {keys[1]})")  # fmt: skip
            ok = False
            continue
        number = _number(value)
        top = 100.0 if name in _PERCENT else None
        if number is None or number < 0 or (top is not None and number > top):
            unit = "a percentage from 0 to 100" if top else "a number of seconds, 0 or more"
            error(value, f"{name}.{k} must be {unit} (got {_shown(value)})")
            ok = False
            continue
        values[k.split("_")[0]] = number
        nodes[k] = value
    if not ok:
        return None
    worse = values["red"] <= values["amber"] if base.below else values["red"] >= values["amber"]
    if not worse:
        at = nodes.get(keys[1]) or nodes.get(keys[0]) or node
        rel = "at most" if base.below else "at least"
        error(at, f"{name}.{keys[1]} ({values['red']:g}) must be {rel} {keys[0]} "
                  f"({values['amber']:g}): red is the worse colour")  # fmt: skip
        return None
    return Bound(values["amber"], values["red"], base.below)


def _number(node: Node) -> float | None:
    if not isinstance(node, ScalarNode) or node.tag.rsplit(":", 1)[-1] not in ("int", "float"):
        return None
    try:
        return float(node.value)
    except ValueError:
        return None


def _shown(node: Node) -> str:
    return (
        repr(node.value)
        if isinstance(node, ScalarNode)
        else "a " + type(node).__name__.removesuffix("Node").lower()
    )


def load_thresholds(path: Path) -> WallboardThresholds:
    """The thresholds of `path`; the defaults when the file does not exist."""
    if not path.exists():
        return WallboardThresholds()
    return parse_thresholds(path.read_text(encoding="utf-8"), path)
