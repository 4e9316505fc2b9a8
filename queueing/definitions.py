"""Queue definitions, the model: queues, skills, priority classes, overflow, routing rules.

Rules: pure data (frozen dataclasses, read-only mappings, string enums); no I/O, no clock, no
YAML (the loader is `queueing.loader`, the public entry `queueing.config`). Imports nothing of
ours. Priority classes are fixed: `emergency` > `vip` > `normal`. Emergency calls always go
first; between `vip` and `normal` the score is class points + waited seconds x `aging_weight`.
Overflow steps widen who may take a waiting call as its wait grows; the call keeps its enqueue
time (so position and wait) across every step.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KNOWN_SKILLS: tuple[str, ...] = (
    "mandarin",
    "english",
    "general",
    "account",
    "trading",
    "emergency_order",
    "licensed",
    "complaints",
    "vip",
)
MIN_LEVEL, MAX_LEVEL = 1, 5


class PriorityClass(enum.StrEnum):
    """Caller classes, highest first. Emergency always goes before everything else."""

    EMERGENCY = "emergency"
    VIP = "vip"
    NORMAL = "normal"


class Strategy(enum.StrEnum):
    """How a queue chooses among several free agents able to take its next call."""

    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    HIGHEST_SKILL = "highest_skill"
    ROUND_ROBIN = "round_robin"


class ExitOption(enum.StrEnum):
    """What a caller may be offered instead of waiting on (keeps the queue position)."""

    CALLBACK = "callback"
    VOICE_MESSAGE = "voice_message"


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """`percent` of answered calls should be answered within `within_s` seconds."""

    percent: float = 80.0
    within_s: float = 20.0


@dataclass(frozen=True, slots=True)
class Announcements:
    """What a waiting caller hears. `periodic_message` is a prompt name (None: none)."""

    position: bool = True
    estimated_wait: bool = True
    periodic_message: str | None = None
    periodic_every_s: float = 30.0
    music_on_hold: str = "default"


@dataclass(frozen=True, slots=True)
class RelaxSkills:
    """Lower the minimum level of some required skills (skill -> new minimum)."""

    levels: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class AddQueue:
    """Agents able to serve `queue` may also take this queue's calls."""

    queue: str


@dataclass(frozen=True, slots=True)
class AddSkills:
    """Any agent with these skills (skill -> minimum level) may also take the call."""

    skills: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class OfferExit:
    """Offer the caller a way out that keeps the position (callback, voice message)."""

    options: tuple[ExitOption, ...]


OverflowAction = RelaxSkills | AddQueue | AddSkills | OfferExit


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """Once a call has waited `after_s` seconds, `action` applies (steps accumulate)."""

    after_s: float
    action: OverflowAction


@dataclass(frozen=True, slots=True)
class QueueDef:
    """One queue. `skills` maps each required skill to its minimum level (1-5)."""

    name: str
    skills: Mapping[str, int]
    service_level: ServiceLevel = ServiceLevel()
    max_wait_s: float = 600.0
    ring_timeout_s: float = 15.0
    wrap_up_s: float = 30.0
    strategy: Strategy = Strategy.LONGEST_IDLE
    announcements: Announcements = Announcements()
    overflow: tuple[OverflowStep, ...] = ()
    survey: bool = False  # the caller hears the satisfaction survey when the agent hangs up


def default_class_points() -> Mapping[PriorityClass, float]:
    return MappingProxyType({PriorityClass.VIP: 120.0, PriorityClass.NORMAL: 0.0})


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """Scoring and agent rules shared by every queue.

    `class_points` gives `vip` and `normal` their head start in score points; one waited
    second is worth `aging_weight` points. `max_unanswered_offers` unanswered offers in a
    row put an agent in `not_ready(no_answer)`.
    """

    aging_weight: float = 1.0
    class_points: Mapping[PriorityClass, float] = field(default_factory=default_class_points)
    max_unanswered_offers: int = 3


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Every queue definition, the known skills and the routing rules."""

    queues: Mapping[str, QueueDef]
    skills: frozenset[str] = frozenset(KNOWN_SKILLS)
    routing: RoutingRules = RoutingRules()
