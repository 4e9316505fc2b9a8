"""The typed flow model: what `ivr.engine.loader` builds from YAML and the interpreter runs.

Rules: everything is frozen; every element keeps the source position (`Pos`, 1-based) of itself
and of its fields (`marks`) so the validator can point at `path:line:col`. The model holds only
what the YAML says plus defaults; cross-checks (targets, queues, providers) live in `validate`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

from ivr.engine.calendar import DEFAULT_CALENDAR, MarketCalendar
from ivr.engine.masking import MaskMode

Priority: TypeAlias = Literal["emergency", "vip", "normal"]
CompareOp: TypeAlias = Literal[
    "equals", "not_equals", "in", "not_in", "gt", "ge", "lt", "le", "exists"
]


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    column: int


NOWHERE = Pos(1, 1)
Marks: TypeAlias = Mapping[str, Pos]


@dataclass(frozen=True, slots=True)
class TtsContent:
    text: str
    voice: str | None = None


@dataclass(frozen=True, slots=True)
class AudioContent:
    path: str


Content: TypeAlias = TtsContent | AudioContent


@dataclass(frozen=True, slots=True)
class PromptDef:
    contents: Mapping[str, Content]  # language -> content
    pos: Pos = NOWHERE
    marks: Marks = field(default_factory=dict)  # language -> position of its content


# ---- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    subject: Literal["var", "attribute"]
    name: str
    op: CompareOp
    value: str | float | bool | tuple[str, ...]
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class LanguageIs:
    language: str
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class BusinessHours:
    expected: bool
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class MarketOpen:
    expected: bool
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]
    pos: Pos = NOWHERE


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition
    pos: Pos = NOWHERE


Condition: TypeAlias = Compare | LanguageIs | BusinessHours | MarketOpen | AllOf | AnyOf | Not


# ---- node parts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    next: str
    key: str | None = None
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    intent: str | None = None
    label: str | None = None
    pos: Pos = NOWHERE
    marks: Marks = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Case:
    when: Condition
    next: str
    pos: Pos = NOWHERE
    marks: Marks = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Window:
    """Business hours: `days` 0=Monday..6=Sunday; minutes after midnight; close < open wraps."""

    days: frozenset[int]
    open_min: int
    close_min: int
    calendar: str | None = None  # trading_day | night_session: also ask the trading calendar


DEFAULT_HOURS = (Window(frozenset(range(5)), 8 * 60 + 30, 17 * 60),)


@dataclass(frozen=True, slots=True)
class Defaults:
    timeout_s: float = 5.0
    interdigit_timeout_s: float = 3.0
    retries: int = 2
    min_confidence: float = 0.5
    confirm_below: float | None = None
    fallback: str | None = None
    no_input_prompt: PromptDef | None = None
    no_match_prompt: PromptDef | None = None
    marks: Marks = field(default_factory=dict)


# ---- nodes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeBase:
    id: str
    label: str | None = None
    pos: Pos = NOWHERE  # position of the node's id (the mapping key)
    marks: Marks = field(default_factory=dict)  # field name -> position of its value


@dataclass(frozen=True, slots=True, kw_only=True)
class SayNode(NodeBase):
    prompt: PromptDef
    next: str
    barge_in: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuNode(NodeBase):
    prompt: PromptDef
    options: tuple[Option, ...]
    fallback: str
    timeout_s: float
    retries: int
    min_confidence: float
    speech: bool = True
    no_input_prompt: PromptDef | None = None
    no_match_prompt: PromptDef | None = None
    confirm_below: float | None = None  # speech under it (and unsure speech) is confirmed first
    confirm_prompt: PromptDef | None = None  # "{option}" names the option heard


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectNode(NodeBase):
    prompt: PromptDef
    var: str
    next: str
    fallback: str
    timeout_s: float
    interdigit_timeout_s: float
    retries: int
    min_digits: int = 1
    max_digits: int = 20
    terminator: str = "#"
    decimal_key: str | None = None  # the key that types "." (at most one per value)
    mask: MaskMode | None = None
    pattern: str | None = None
    no_input_prompt: PromptDef | None = None
    invalid_prompt: PromptDef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchNode(NodeBase):
    cases: tuple[Case, ...]
    otherwise: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupNode(NodeBase):
    provider: str
    params: Mapping[str, str] = field(default_factory=dict)
    results: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    timeout_s: float = 5.0
    prefix: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueNode(NodeBase):
    queue: str
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: Priority = "normal"
    max_wait_s: float = 300.0
    overflow_queue: str | None = None
    overflow_after_s: float | None = None
    offer_callback: bool = False
    prompt: PromptDef | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    on_timeout: str | None = None
    on_overflow: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordNode(NodeBase):
    purpose: str
    next: str
    max_s: float = 120.0
    beep: bool = True
    prompt: PromptDef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GotoNode(NodeBase):
    node: str | None = None
    flow: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetNode(NodeBase):
    next: str
    vars: Mapping[str, str] = field(default_factory=dict)
    add: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultNode(NodeBase):
    result: str
    next: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguageNode(NodeBase):
    language: str
    next: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferNode(NodeBase):
    target: str
    prompt: PromptDef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupNode(NodeBase):
    prompt: PromptDef | None = None
    reason: str = "normal"


Node: TypeAlias = (
    SayNode | MenuNode | CollectNode | BranchNode | LookupNode | QueueNode | RecordNode
    | GotoNode | SetNode | LanguageNode | TransferNode | HangupNode | ResultNode
)  # fmt: skip


def node_type(node: Node) -> str:
    return type(node).__name__.removesuffix("Node").lower()


def local_targets(node: Node) -> Iterator[tuple[str, str, Pos]]:
    """(field label, target node id, position) of every same-flow target of `node`."""
    m = node.marks
    match node:
        case SayNode() | SetNode() | LanguageNode() | RecordNode() | CollectNode() | ResultNode():
            yield "'next'", node.next, m.get("next", node.pos)
            if isinstance(node, CollectNode):
                yield "'fallback'", node.fallback, m.get("fallback", node.pos)
        case MenuNode():
            for opt in node.options:
                yield "option 'next'", opt.next, opt.marks.get("next", opt.pos)
            yield "'fallback'", node.fallback, m.get("fallback", node.pos)
        case BranchNode():
            for case in node.cases:
                yield "case 'next'", case.next, case.marks.get("next", case.pos)
            yield "'otherwise'", node.otherwise, m.get("otherwise", node.pos)
        case LookupNode():
            for key, target in node.results.items():
                yield f"result '{key}'", target, m.get(f"results.{key}", node.pos)
            if node.default is not None:
                yield "'default'", node.default, m.get("default", node.pos)
        case QueueNode():
            for name in ("on_timeout", "on_overflow"):
                target = getattr(node, name)
                if target is not None:
                    yield f"'{name}'", target, m.get(name, node.pos)
        case GotoNode() if node.flow is None and node.node is not None:
            yield "'node'", node.node, m.get("node", node.pos)
        case _:
            return


def prompts_of(node: Node) -> Iterator[tuple[str, PromptDef]]:
    """(field name, prompt) of every prompt a node plays."""
    for name in ("prompt", "no_input_prompt", "no_match_prompt", "invalid_prompt"):
        prompt = getattr(node, name, None)
        if isinstance(prompt, PromptDef):
            yield name, prompt


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    path: Path
    languages: tuple[str, ...]
    start: str
    nodes: Mapping[str, Node]
    numbers: tuple[str, ...] = ()
    description: str | None = None
    business_hours: tuple[Window, ...] = DEFAULT_HOURS
    defaults: Defaults = field(default_factory=Defaults)
    variables: Mapping[str, str] = field(default_factory=dict)
    recovery: str | None = None  # where a call adopted after an app crash restarts (else start)
    replay_key: str = "*"  # in menus and digit entry: hear the prompt again ("": none)
    pos: Pos = NOWHERE
    marks: Marks = field(default_factory=dict)

    @property
    def default_language(self) -> str:
        return self.languages[0]


@dataclass(frozen=True, slots=True)
class FlowSet:
    """All loaded flows by name (goto across flows resolves here), and the trading calendar of
    the `market_open` condition (data passed in by the shell, see `validate.Context`)."""

    flows: Mapping[str, Flow]
    calendar: MarketCalendar = DEFAULT_CALENDAR

    def flow_for_number(self, dialed: str) -> str | None:
        for flow in self.flows.values():
            if dialed in flow.numbers:
                return flow.name
        return None
