"""Semantic checks of loaded flows: every problem as a located `FlowError`, all at once.

Rules: pure (queues, skills and the prompt root come in as data: `Context`); never raises for bad
flows; linear in the number of nodes (iterative graph walks, no recursion). Graph-wide checks
(unreachable, no way out, cycles without input) skip files that did not load completely, so one
broken node does not cause a cascade of follow-up errors.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ivr.engine import model as m
from ivr.engine.calendar import DEFAULT_CALENDAR, MarketCalendar
from ivr.engine.errors import FlowError, did_you_mean
from ivr.engine.input import normalise
from ivr.engine.loader import ParsedFile, duplicate_names, gc_paused, parse_files
from ivr.engine.providers import CATALOGUE
from ivr.engine.slotcheck import number_sources, type_errors, untyped_numbers
from ivr.engine.templates import variables_in
from ivr.engine.transitions import NO_INPUT_TYPES
from ivr.errors import ErrorList

BUILTIN_VARIABLES = frozenset(
    {"caller", "dialed", "language", "intent", "last_result", "recording_name",
     "recording_duration_s"}
)  # fmt: skip
Key = tuple[str, str]  # (flow, node)
NO_WAY_OUT = "(no path from it reaches a hangup, queue or transfer node)"


@dataclass(frozen=True, slots=True)
class Context:
    """What flows are checked against and run with. `queues=None` skips queue and skill checks;
    `calendar=None` keeps the built-in trading calendar (`ivr.engine.calendar`)."""

    queues: Mapping[str, Mapping[str, int]] | None = None
    skills: Collection[str] | None = None  # default: every skill the queues use
    prompt_root: Path | None = None
    calendar: MarketCalendar | None = None

    def known_skills(self) -> Collection[str]:
        if self.skills is not None:
            return self.skills
        return {s for q in (self.queues or {}).values() for s in q}


class Checker:
    def __init__(self, flows: m.FlowSet, ctx: Context) -> None:
        self.flows = flows
        self.ctx = ctx
        self.errors: list[FlowError] = []
        self.variables = known_variables(flows)
        self.numbers = number_sources(flows)
        self.bad_targets: set[str] = set()  # flows with unknown targets: skip graph checks

    def error(self, flow: m.Flow, at: m.Pos, message: str) -> None:
        self.errors.append(FlowError(message, path=flow.path, line=at.line, column=at.column))

    # ---- per node ----

    def check_flow(self, flow: m.Flow) -> None:
        if flow.start not in flow.nodes:
            hint = did_you_mean(flow.start, flow.nodes)
            at = flow.marks.get("start", flow.pos)
            self.error(flow, at, f"'start' points to unknown node '{flow.start}'{hint}")
            self.bad_targets.add(flow.name)
        if flow.recovery is not None and flow.recovery not in flow.nodes:
            hint = did_you_mean(flow.recovery, flow.nodes)
            at = flow.marks.get("recovery", flow.pos)
            self.error(flow, at, f"'recovery' points to unknown node '{flow.recovery}'{hint}")
        for name in ("no_input_prompt", "no_match_prompt"):
            prompt = getattr(flow.defaults, name)
            if prompt is not None:
                self.check_prompt(flow, "defaults", name, prompt)
        for node in flow.nodes.values():
            self.check_node(flow, node)

    def check_node(self, flow: m.Flow, node: m.Node) -> None:
        where = f"node '{node.id}'"
        for label, target, at in m.local_targets(node):
            if target not in flow.nodes:
                self.bad_targets.add(flow.name)
                hint = did_you_mean(target, flow.nodes)
                self.error(flow, at, f"{where}: {label} points to unknown node '{target}'{hint}")
        for name, prompt in m.prompts_of(node):
            self.check_prompt(flow, where, name, prompt)
        match node:
            case m.MenuNode():
                self.check_menu(flow, node, where)
            case m.GotoNode():
                self.check_goto(flow, node, where)
            case m.LookupNode():
                self.check_lookup(flow, node, where)
            case m.QueueNode():
                self.check_queue(flow, node, where)
            case m.LanguageNode():
                self.check_language(
                    flow, node.language, node.marks.get("language", node.pos), where
                )
            case m.SetNode():
                for template in node.vars.values():
                    self.check_template(flow, where, "vars", template, node.marks.get("vars"))
            case _:
                pass

    def check_language(self, flow: m.Flow, language: str, at: m.Pos, where: str) -> bool:
        if language in flow.languages:
            return True
        declared = ", ".join(flow.languages)
        self.error(
            flow, at, f"{where}: language '{language}' is not declared in 'languages' ({declared})"
        )
        return False

    def check_prompt(self, flow: m.Flow, where: str, name: str, prompt: m.PromptDef) -> None:
        declared = ", ".join(flow.languages)
        for language in flow.languages:
            if language not in prompt.contents:
                self.error(
                    flow,
                    prompt.pos,
                    f"{where}: {name} has no '{language}' entry (the flow declares {declared})",
                )
        for language, content in prompt.contents.items():
            at = prompt.marks.get(language, prompt.pos)
            if language not in flow.languages:
                self.check_language(flow, language, at, where)
            if isinstance(content, m.AudioContent):
                self.check_audio(flow, at, where, content.path)
            else:
                self.check_template(flow, where, name, content.text, at)
                for message in untyped_numbers(content.text, self.numbers):
                    self.error(flow, at, f"{where}: {name} ({language}): {message}")

    def check_audio(self, flow: m.Flow, at: m.Pos, where: str, path: str) -> None:
        pure = PurePosixPath(path)
        if ".." in pure.parts or "\\" in path or not path.strip():
            message = (
                f"audio path '{path}' is unsafe (use a path inside the prompt root, without '..')"
            )
            self.error(flow, at, f"{where}: {message}")
        elif pure.is_absolute():
            root = self.ctx.prompt_root
            inside = root is not None and Path(path).resolve().is_relative_to(root.resolve())
            if not inside:
                self.error(flow, at, f"{where}: audio path '{path}' is outside the prompt root")

    def check_template(
        self, flow: m.Flow, where: str, name: str, template: str, at: m.Pos | None
    ) -> None:
        for variable in variables_in(template):
            if variable not in self.variables:
                hint = did_you_mean(variable, self.variables)
                message = f"{where}: unknown variable '{variable}' in {name}{hint}"
                self.error(flow, at or m.NOWHERE, message)
        for message in type_errors(template):
            self.error(flow, at or m.NOWHERE, f"{where}: {name}: {message}")

    def check_menu(self, flow: m.Flow, node: m.MenuNode, where: str) -> None:
        keys: dict[str, m.Pos] = {}
        phrases: dict[tuple[str, str], m.Pos] = {}
        for option in node.options:
            if option.key is not None:
                at = option.marks.get("key", option.pos)
                if option.key in keys:
                    first = keys[option.key].line
                    self.error(
                        flow,
                        at,
                        f"{where}: key '{option.key}' is used by two options "
                        f"(first at line {first})",
                    )
                else:
                    keys[option.key] = at
            for language, words in option.phrases.items():
                at = option.marks.get("phrases", option.pos)
                self.check_language(flow, language, at, where)
                for phrase in words:
                    self.check_phrase(flow, where, phrases, (language, phrase), at)

    def check_phrase(
        self,
        flow: m.Flow,
        where: str,
        seen: dict[tuple[str, str], m.Pos],
        item: tuple[str, str],
        at: m.Pos,
    ) -> None:
        language, phrase = item
        key = (language, normalise(phrase))
        if any(ch.isdigit() for ch in phrase):
            self.error(
                flow,
                at,
                f"{where}: phrase '{phrase}' ({language}) has digits, which no speech model writes:"
                " spell the number as it is said (e.g. 沪深三百, csi three hundred)",
            )
        if key in seen:
            first = seen[key].line
            self.error(
                flow,
                at,
                f"{where}: phrase '{phrase}' ({language}) is used by two options "
                f"(first at line {first})",
            )
        else:
            seen[key] = at

    def check_goto(self, flow: m.Flow, node: m.GotoNode, where: str) -> None:
        if node.flow is None:
            return
        target = self.flows.flows.get(node.flow)
        if target is None:
            hint = did_you_mean(node.flow, self.flows.flows)
            at = node.marks.get("flow", node.pos)
            self.error(flow, at, f"{where}: 'flow' points to unknown flow '{node.flow}'{hint}")
            self.bad_targets.add(flow.name)
        elif node.node is not None and node.node not in target.nodes:
            hint = did_you_mean(node.node, target.nodes)
            at = node.marks.get("node", node.pos)
            message = f"'node' points to unknown node '{node.node}' in flow '{node.flow}'{hint}"
            self.error(flow, at, f"{where}: {message}")
            self.bad_targets.add(flow.name)

    def check_lookup(self, flow: m.Flow, node: m.LookupNode, where: str) -> None:
        spec = CATALOGUE.get(node.provider)
        if spec is None:
            hint = did_you_mean(node.provider, CATALOGUE)
            at = node.marks.get("provider", node.pos)
            self.error(flow, at, f"{where}: unknown lookup provider '{node.provider}'{hint}")
            return
        params_at = node.marks.get("params", node.pos)
        for name, template in node.params.items():
            if name not in spec.all_params:
                hint = did_you_mean(name, spec.all_params)
                self.error(
                    flow, params_at, f"{where}: provider '{spec.name}' has no param '{name}'{hint}"
                )
            self.check_template(flow, where, "params", template, params_at)
        for name in spec.params:
            if name not in node.params:
                self.error(flow, node.pos, f"{where}: provider '{spec.name}' needs param '{name}'")
        for result in node.results:
            if result not in spec.all_results:
                hint = did_you_mean(result, spec.all_results)
                at = node.marks.get(f"results.{result}", node.pos)
                self.error(
                    flow, at, f"{where}: provider '{spec.name}' has no result '{result}'{hint}"
                )
        if node.default is None:
            for result in spec.all_results:
                if result not in node.results:
                    message = f"result '{result}' of provider '{spec.name}' is not handled"
                    self.error(
                        flow, node.pos, f"{where}: {message} (add it to 'results' or set 'default')"
                    )

    def check_queue(self, flow: m.Flow, node: m.QueueNode, where: str) -> None:
        for template in node.attributes.values():
            self.check_template(flow, where, "attributes", template, node.marks.get("attributes"))
        queues = self.ctx.queues
        if queues is None:
            return
        for field in ("queue", "overflow_queue"):
            name = getattr(node, field)
            if name is not None and name not in queues:
                hint = did_you_mean(name, queues)
                self.error(
                    flow, node.marks.get(field, node.pos), f"{where}: unknown queue '{name}'{hint}"
                )
        skills = self.ctx.known_skills()
        for skill in node.skills:
            if skill not in skills:
                hint = did_you_mean(skill, skills)
                at = node.marks.get("skills", node.pos)
                self.error(flow, at, f"{where}: unknown skill '{skill}'{hint}")


def known_variables(flows: m.FlowSet) -> set[str]:
    names = set(BUILTIN_VARIABLES)
    for flow in flows.flows.values():
        names.update(flow.variables)
        for node in flow.nodes.values():
            match node:
                case m.SetNode():
                    names.update(node.vars)
                    names.update(node.add)
                case m.CollectNode():
                    names.add(node.var)
                case m.LookupNode() if node.provider in CATALOGUE:
                    names.update(node.prefix + f for f in CATALOGUE[node.provider].data_fields)
                case _:
                    pass
    return names


# ---- graph checks -----------------------------------------------------------------------------


def edges(flows: m.FlowSet, key: Key) -> Iterator[Key]:
    flow_name, node_id = key
    flow = flows.flows[flow_name]
    node = flow.nodes[node_id]
    for _, target, _ in m.local_targets(node):
        if target in flow.nodes:
            yield (flow_name, target)
    if isinstance(node, m.GotoNode) and node.flow is not None:
        other = flows.flows.get(node.flow)
        target = node.node or (other.start if other else "")
        if other is not None and target in other.nodes:
            yield (node.flow, target)


def graph_errors(flows: m.FlowSet, skip: Collection[str]) -> list[FlowError]:
    errors: list[FlowError] = []
    everything = [(f.name, n) for f in flows.flows.values() for n in f.nodes]
    graph = {key: list(edges(flows, key)) for key in everything}  # each node's edges, once
    roots = [(f.name, f.start) for f in flows.flows.values() if f.start in f.nodes]
    roots += [(f.name, r) for f in flows.flows.values() if (r := f.recovery) in f.nodes and r]
    reached = walk(roots, lambda k: iter(graph[k]))
    reverse: dict[Key, list[Key]] = {}
    for key in reached:
        for target in graph[key]:
            reverse.setdefault(target, []).append(key)
    terminals = [
        k
        for k in reached
        if isinstance(node_of(flows, k), m.HangupNode | m.QueueNode | m.TransferNode)
    ]
    can_end = walk(terminals, lambda k: iter(reverse.get(k, ())))
    for flow in flows.flows.values():
        if flow.name in skip:
            continue
        for node in flow.nodes.values():
            key = (flow.name, node.id)
            at = node.pos
            if key not in reached:
                message = f"node '{node.id}' is unreachable from start node '{flow.start}'"
            elif key not in can_end:
                message = f"node '{node.id}' has no way out {NO_WAY_OUT}"
            else:
                continue
            errors.append(FlowError(message, path=flow.path, line=at.line, column=at.column))
    errors.extend(cycle_errors(flows, graph, skip))
    return errors


def node_of(flows: m.FlowSet, key: Key) -> m.Node:
    return flows.flows[key[0]].nodes[key[1]]


def walk(roots: Sequence[Key], nexts: Callable[[Key], Iterator[Key]]) -> set[Key]:
    seen = set(roots)
    todo = deque(roots)
    while todo:
        for target in nexts(todo.popleft()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def cycle_errors(
    flows: m.FlowSet, graph: Mapping[Key, list[Key]], skip: Collection[str]
) -> list[FlowError]:
    """Cycles made only of nodes that never wait for the caller (iterative DFS over `graph`)."""
    keys = graph.keys()

    def quick(key: Key) -> list[Key]:
        return [t for t in graph[key] if isinstance(node_of(flows, t), NO_INPUT_TYPES)]

    state: dict[Key, int] = {}  # 1 on stack, 2 done
    errors: list[FlowError] = []
    reported: set[frozenset[Key]] = set()
    for root in [k for k in keys if isinstance(node_of(flows, k), NO_INPUT_TYPES)]:
        if root in state:
            continue
        path: list[Key] = [root]
        stack = [iter(quick(root))]
        state[root] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(target) == 1:
                cycle = path[path.index(target) :]
                if frozenset(cycle) not in reported and cycle[0][0] not in skip:
                    reported.add(frozenset(cycle))
                    errors.append(cycle_error(flows, cycle))
            elif target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(quick(target)))
    return errors


def cycle_error(flows: m.FlowSet, cycle: list[Key]) -> FlowError:
    home = cycle[0][0]
    names = [n if f == home else f"{f}.{n}" for f, n in [*cycle, cycle[0]]]
    flow = flows.flows[home]
    at = flow.nodes[cycle[0][1]].pos
    message = "goto cycle with no input: " + " -> ".join(names)
    return FlowError(message, path=flow.path, line=at.line, column=at.column)


# ---- entry points -----------------------------------------------------------------------------


def validate(
    flows: m.FlowSet, ctx: Context = Context(), *, skip_graph: Collection[str] = ()
) -> list[FlowError]:
    """All semantic errors of `flows` (graph-wide checks skipped for flows in `skip_graph`)."""
    checker = Checker(flows, ctx)
    with gc_paused():
        for flow in flows.flows.values():
            checker.check_flow(flow)
        return checker.errors + graph_errors(flows, {*skip_graph, *checker.bad_targets})


def check_files(
    paths: Sequence[Path], ctx: Context = Context()
) -> tuple[m.FlowSet, list[FlowError]]:
    """Load and validate flow files/directories: the usable flows and every error, in file order."""
    parsed: list[ParsedFile] = parse_files(paths)
    errors = [e for p in parsed for e in p.errors] + duplicate_names(parsed)
    calendar = DEFAULT_CALENDAR if ctx.calendar is None else ctx.calendar
    flows = m.FlowSet({p.flow.name: p.flow for p in parsed if p.flow is not None}, calendar)
    skip = {p.flow.name for p in parsed if p.flow is not None and (p.broken or p.errors)}
    errors.extend(validate(flows, ctx, skip_graph=skip))
    order = {str(p.path): i for i, p in enumerate(parsed)}
    errors.sort(key=lambda e: (order.get(str(e.path), len(order)), e.line, e.column))
    return flows, errors


def load_checked(paths: Sequence[Path], ctx: Context = Context()) -> m.FlowSet:
    """Load and validate; raise `ErrorList` with every error when anything is wrong."""
    flows, errors = check_files(paths, ctx)
    if errors:
        raise ErrorList(list(errors))
    return flows
