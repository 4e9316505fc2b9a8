"""The YAML reader of queue definitions: walks a composed file, collecting every error.

Rules: pure (PyYAML only; no clock, no other I/O: the caller reads the file). A bad file
never raises a traceback: each problem is collected as a `QueueConfigError` (`path:line:col:
message`, positions from `yaml.compose()` node marks made 1-based) with a did-you-mean hint
for misspelt names; `queueing.config.parse_queues` raises them together. Builds the model of
`queueing.definitions`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

import yaml

from queueing.definitions import (
    KNOWN_SKILLS,
    MAX_LEVEL,
    MIN_LEVEL,
    AddQueue,
    AddSkills,
    Announcements,
    ExitOption,
    OfferExit,
    OverflowAction,
    OverflowStep,
    PriorityClass,
    QueueConfig,
    QueueDef,
    RelaxSkills,
    RoutingRules,
    ServiceLevel,
    Strategy,
    default_class_points,
)
from queueing.errors import QueueConfigError

T = TypeVar("T")


def did_you_mean(name: str, choices: Iterator[str] | list[str] | tuple[str, ...]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or ``."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_TOP_KEYS = ("skills", "routing", "defaults", "queues")
_ROUTING_KEYS = ("aging_weight", "classes", "max_unanswered_offers")
_QUEUE_KEYS = (
    "skills",
    "service_level",
    "max_wait_s",
    "ring_timeout_s",
    "wrap_up_s",
    "strategy",
    "announcements",
    "overflow",
    "survey",
)
_DEFAULT_KEYS = tuple(k for k in _QUEUE_KEYS if k not in ("skills", "overflow"))
_SL_KEYS = ("percent", "within_s")
_ANN_KEYS = ("position", "estimated_wait", "periodic_message", "periodic_every_s", "music_on_hold")
_STEP_ACTIONS = ("relax", "queue", "skills", "offer")

_Node = yaml.Node


class QueueFileReader:
    """Walks the composed YAML tree, collecting errors instead of stopping at the first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[QueueConfigError] = []
        self.skills: frozenset[str] = frozenset(KNOWN_SKILLS)

    # -- positions and errors ------------------------------------------------------------
    def at(self, line: int, column: int, message: str) -> QueueConfigError:
        return QueueConfigError(message, path=self.path, line=line, column=column)

    def error(self, node: _Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(
            QueueConfigError(message, path=self.path, line=mark.line + 1, column=mark.column + 1)
        )

    # -- generic shapes --------------------------------------------------------------------
    def mapping(self, node: _Node, what: str, keys: tuple[str, ...] | None) -> dict[str, _Node]:
        """Key -> value node of a mapping; reports non-mappings, duplicates and unknown keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping")
            return {}
        out: dict[str, _Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            if key in out:
                self.error(key_node, f"{what}: duplicate key '{key}'")
            elif keys is not None and key not in keys:
                self.error(key_node, f"{what}: unknown key '{key}'{did_you_mean(key, keys)}")
            else:
                out[key] = value
        return out

    def scalar(
        self, node: _Node, what: str, kind: type[T], check: Callable[[T], bool], need: str
    ) -> T | None:
        """A scalar of `kind` passing `check`; else an error saying it must be `need`."""
        value = _scalar_value(node)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        wrong_bool = kind is not bool and isinstance(value, bool)
        if isinstance(value, kind) and not wrong_bool and check(value):
            return value
        shown = f"'{node.value}'" if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.error(node, f"{what} must be {need}, got {shown}")
        return None

    def seconds(self, node: _Node, what: str) -> float | None:
        return self.scalar(node, what, float, lambda v: v > 0, "a number of seconds > 0")

    def flag(self, node: _Node, what: str) -> bool | None:
        return self.scalar(node, what, bool, lambda v: True, "true or false")

    def name(self, node: _Node, what: str) -> str | None:
        return self.scalar(node, what, str, lambda v: v != "", "a non-empty name")

    # -- the document ------------------------------------------------------------------
    def config(self, root: _Node | None) -> QueueConfig:
        if root is None:
            self.errors.append(self.at(1, 1, "empty file: expected a 'queues:' mapping"))
            return QueueConfig(queues=MappingProxyType({}))
        top = self.mapping(root, "queue definitions", _TOP_KEYS)
        if "skills" in top:
            self.skills = self.skill_names(top["skills"])
        routing = self.routing(top["routing"]) if "routing" in top else RoutingRules()
        defaults = (
            self.mapping(top["defaults"], "defaults", _DEFAULT_KEYS) if "defaults" in top else {}
        )
        if "queues" not in top:
            self.error(root, "missing 'queues:' (a mapping of queue name -> definition)")
            return QueueConfig(queues=MappingProxyType({}), skills=self.skills, routing=routing)
        queues = self.queues(top["queues"], defaults)
        return QueueConfig(queues=MappingProxyType(queues), skills=self.skills, routing=routing)

    def skill_names(self, node: _Node) -> frozenset[str]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.error(node, "skills must be a non-empty list of skill names")
            return frozenset(KNOWN_SKILLS)
        names = [self.name(item, "a skill") for item in node.value]
        return frozenset(n for n in names if n is not None)

    def routing(self, node: _Node) -> RoutingRules:
        fields = self.mapping(node, "routing", _ROUTING_KEYS)
        rules = RoutingRules()
        weight, offers, points = rules.aging_weight, rules.max_unanswered_offers, rules.class_points
        if "aging_weight" in fields:
            got = self.scalar(
                fields["aging_weight"],
                "routing.aging_weight",
                float,
                lambda v: v > 0,
                "a number > 0",
            )
            weight = got if got is not None else weight
        if "max_unanswered_offers" in fields:
            node_n = fields["max_unanswered_offers"]
            got_n = self.scalar(
                node_n, "routing.max_unanswered_offers", int, lambda v: v >= 1, "an integer >= 1"
            )
            offers = got_n if got_n is not None else offers
        if "classes" in fields:
            points = self.class_points(fields["classes"])
        return RoutingRules(aging_weight=weight, class_points=points, max_unanswered_offers=offers)

    def class_points(self, node: _Node) -> Mapping[PriorityClass, float]:
        names = (PriorityClass.VIP.value, PriorityClass.NORMAL.value)
        fields = self.mapping(node, "routing.classes", names)
        points = dict(default_class_points())
        for key, value in fields.items():
            got = self.scalar(
                value, f"routing.classes.{key}", float, lambda v: v >= 0, "a number >= 0"
            )
            if got is not None:
                points[PriorityClass(key)] = got
        if points[PriorityClass.VIP] <= points[PriorityClass.NORMAL]:
            self.error(node, "routing.classes: 'vip' must have more points than 'normal'")
        return MappingProxyType(points)

    def queues(self, node: _Node, defaults: dict[str, _Node]) -> dict[str, QueueDef]:
        fields = self.mapping(node, "queues", None)
        if isinstance(node, yaml.MappingNode) and not fields:
            self.error(node, "queues must define at least one queue")
        names = list(fields)
        found: dict[str, QueueDef] = {}
        for name, body in fields.items():
            queue = self.queue(name, body, defaults, names)
            if queue is not None:
                found[name] = queue
        return found

    def queue(
        self, name: str, node: _Node, defaults: dict[str, _Node], names: list[str]
    ) -> QueueDef | None:
        where = f"queue '{name}'"
        fields = {**defaults, **self.mapping(node, where, _QUEUE_KEYS)}
        if not isinstance(node, yaml.MappingNode):
            return None
        if "skills" not in fields:
            self.error(node, f"{where}: missing 'skills' (skill -> minimum level 1-5)")
        skills = (
            self.skill_levels(fields["skills"], f"{where}: skills") if "skills" in fields else {}
        )
        base = QueueDef(name=name, skills=MappingProxyType(skills))
        return QueueDef(
            name=name,
            skills=base.skills,
            service_level=self.service_level(fields, where) or base.service_level,
            max_wait_s=self.opt_seconds(fields, "max_wait_s", where, base.max_wait_s),
            ring_timeout_s=self.opt_seconds(fields, "ring_timeout_s", where, base.ring_timeout_s),
            wrap_up_s=self.opt_seconds(fields, "wrap_up_s", where, base.wrap_up_s),
            strategy=self.strategy(fields, where) or base.strategy,
            announcements=self.announcements(fields, where) or base.announcements,
            overflow=self.overflow(fields["overflow"], where, name, names)
            if "overflow" in fields
            else (),
            survey=self.opt_flag(fields, "survey", where),
        )

    def opt_flag(self, fields: dict[str, _Node], key: str, where: str) -> bool:
        """An optional true/false key (false when absent or wrong: the error is recorded)."""
        if key not in fields:
            return False
        return self.flag(fields[key], f"{where}: {key}") is True

    def opt_seconds(self, fields: dict[str, _Node], key: str, where: str, default: float) -> float:
        if key not in fields:
            return default
        got = self.seconds(fields[key], f"{where}: {key}")
        return default if got is None else got

    def skill_levels(self, node: _Node, what: str) -> dict[str, int]:
        fields = self.mapping(node, what, None)
        if isinstance(node, yaml.MappingNode) and not fields:
            self.error(node, f"{what} must name at least one skill")
        levels: dict[str, int] = {}
        for skill, value in fields.items():
            if skill not in self.skills:
                key_node = next(k for k, v in node.value if v is value)
                hint = did_you_mean(skill, sorted(self.skills))
                self.error(key_node, f"{what}: unknown skill '{skill}'{hint}")
                continue
            level = self.scalar(
                value, f"{what}: level of '{skill}'", int, _is_level, "an integer 1-5"
            )
            if level is not None:
                levels[skill] = level
        return levels

    def service_level(self, fields: dict[str, _Node], where: str) -> ServiceLevel | None:
        if "service_level" not in fields:
            return None
        node = fields["service_level"]
        sl = self.mapping(node, f"{where}: service_level", _SL_KEYS)
        if isinstance(node, yaml.MappingNode) and any(k not in sl for k in _SL_KEYS):
            self.error(node, f"{where}: service_level needs 'percent' and 'within_s'")
            return None
        if not sl:
            return None
        pct = self.scalar(
            sl["percent"], f"{where}: service_level.percent", float, _is_percent, "a number 0-100"
        )
        within = self.seconds(sl["within_s"], f"{where}: service_level.within_s")
        if pct is None or within is None:
            return None
        return ServiceLevel(percent=pct, within_s=within)

    def strategy(self, fields: dict[str, _Node], where: str) -> Strategy | None:
        if "strategy" not in fields:
            return None
        node = fields["strategy"]
        value = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
        choices = [s.value for s in Strategy]
        if value in choices:
            return Strategy(value)
        hint = did_you_mean(value, choices) or f" (one of: {', '.join(choices)})"
        self.error(node, f"{where}: unknown strategy '{value}'{hint}")
        return None

    def announcements(self, fields: dict[str, _Node], where: str) -> Announcements | None:
        if "announcements" not in fields:
            return None
        ann = self.mapping(fields["announcements"], f"{where}: announcements", _ANN_KEYS)
        base = Announcements()
        what = f"{where}: announcements."
        position = self.flag(ann["position"], what + "position") if "position" in ann else None
        wait = (
            self.flag(ann["estimated_wait"], what + "estimated_wait")
            if "estimated_wait" in ann
            else None
        )
        periodic: str | None = base.periodic_message
        if "periodic_message" in ann and _scalar_value(ann["periodic_message"]) is not None:
            periodic = self.name(ann["periodic_message"], what + "periodic_message")
        every = base.periodic_every_s
        if "periodic_every_s" in ann:
            every = self.seconds(ann["periodic_every_s"], what + "periodic_every_s") or every
        moh = (
            self.name(ann["music_on_hold"], what + "music_on_hold")
            if "music_on_hold" in ann
            else None
        )
        return Announcements(
            position=base.position if position is None else position,
            estimated_wait=base.estimated_wait if wait is None else wait,
            periodic_message=periodic,
            periodic_every_s=every,
            music_on_hold=moh or base.music_on_hold,
        )

    def overflow(
        self, node: _Node, where: str, own: str, names: list[str]
    ) -> tuple[OverflowStep, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{where}: overflow must be a list of steps")
            return ()
        steps: list[OverflowStep] = []
        for index, item in enumerate(node.value, start=1):
            step = self.step(item, f"{where}: overflow step {index}", own, names)
            if step is None:
                continue
            if steps and step.after_s <= steps[-1].after_s:
                self.error(
                    item,
                    f"{where}: overflow step {index}: after_s must be greater than"
                    f" the previous step's ({steps[-1].after_s:g})",
                )
            steps.append(step)
        return tuple(steps)

    def step(self, node: _Node, what: str, own: str, names: list[str]) -> OverflowStep | None:
        fields = self.mapping(node, what, ("after_s", *_STEP_ACTIONS))
        if not isinstance(node, yaml.MappingNode):
            return None
        actions = [k for k in _STEP_ACTIONS if k in fields]
        if "after_s" not in fields or len(actions) != 1:
            self.error(
                node, f"{what}: needs 'after_s' and exactly one of: {', '.join(_STEP_ACTIONS)}"
            )
            return None
        after = self.scalar(
            fields["after_s"],
            f"{what}: after_s",
            float,
            lambda v: v >= 0,
            "a number of seconds >= 0",
        )
        action = self.action(actions[0], fields[actions[0]], what, own, names)
        if after is None or action is None:
            return None
        return OverflowStep(after_s=after, action=action)

    def action(
        self, kind: str, node: _Node, what: str, own: str, names: list[str]
    ) -> OverflowAction | None:
        if kind == "relax":
            levels = self.skill_levels(node, f"{what}: relax")
            return RelaxSkills(MappingProxyType(levels)) if levels else None
        if kind == "skills":
            levels = self.skill_levels(node, f"{what}: skills")
            return AddSkills(MappingProxyType(levels)) if levels else None
        if kind == "queue":
            return self.overflow_queue(node, what, own, names)
        return self.offer(node, what)

    def overflow_queue(self, node: _Node, what: str, own: str, names: list[str]) -> AddQueue | None:
        target = self.name(node, f"{what}: queue")
        if target is None:
            return None
        if target == own:
            self.error(node, f"{what}: queue '{target}' cannot overflow to itself")
            return None
        if target not in names:
            self.error(node, f"{what}: unknown queue '{target}'{did_you_mean(target, names)}")
            return None
        return AddQueue(target)

    def offer(self, node: _Node, what: str) -> OfferExit | None:
        items = node.value if isinstance(node, yaml.SequenceNode) else None
        if not items:
            self.error(node, f"{what}: offer must be a non-empty list (callback, voice_message)")
            return None
        choices = [o.value for o in ExitOption]
        options: list[ExitOption] = []
        for item in items:
            value = str(item.value) if isinstance(item, yaml.ScalarNode) else ""
            if value in choices:
                options.append(ExitOption(value))
            else:
                hint = did_you_mean(value, choices) or f" (one of: {', '.join(choices)})"
                self.error(item, f"{what}: unknown offer '{value}'{hint}")
        return OfferExit(tuple(options)) if len(options) == len(items) else None


def _is_level(value: int) -> bool:
    return MIN_LEVEL <= value <= MAX_LEVEL


def _is_percent(value: float) -> bool:
    return 0 < value <= 100


_TAG = "tag:yaml.org,2002:"


def _scalar_value(node: _Node) -> object:
    """The Python value of a scalar node by its resolved tag (non-scalars: the node itself)."""
    if not isinstance(node, yaml.ScalarNode):
        return node
    text = str(node.value)
    if node.tag == _TAG + "int":
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return text
    if node.tag == _TAG + "float":
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    if node.tag == _TAG + "bool":
        return text.lower() in ("true", "yes", "on")
    if node.tag == _TAG + "null":
        return None
    return text
