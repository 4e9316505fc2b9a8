"""`ivr flows validate|simulate|graph|schema`: check, run and draw voice-menu flows.

Rules: thin shell over `ivr.engine` (pure). Errors go to stderr as `path:line:col: message`, one per
line, exit status 1; never a traceback. Queue names/skills come from `config/queues.yaml` through
`queueing.config.load_queues` (skipped with a note when the default file is absent).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ivr.engine.errors import did_you_mean
from ivr.engine.graph import RENDERERS
from ivr.engine.model import FlowSet
from ivr.engine.schema import flow_schema
from ivr.engine.sim import DEFAULT_CALLER, DEFAULT_DIALED, parse_inputs, simulate, transcript
from ivr.engine.validate import Context, check_files
from ivr.errors import IvrError

DEFAULT_FLOWS = Path("flows")
DEFAULT_QUEUES = Path("config/queues.yaml")
DEFAULT_PROMPTS = Path("prompts")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("flows", help="validate, simulate and draw voice-menu flows")
    flows_sub = parser.add_subparsers(dest="flows_command", metavar="SUBCOMMAND")
    flows_sub.required = True

    validate = flows_sub.add_parser("validate", help="check flow files (default: flows/)")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    add_context_options(validate)
    validate.set_defaults(func=cmd_validate)

    sim = flows_sub.add_parser("simulate", help="run a flow with scripted inputs")
    sim.add_argument("flow", metavar="FLOW", help="flow name (its `flow:` field)")
    sim.add_argument("--inputs", default="", help='e.g. "1,2,say:紧急下单,wait,#"')
    sim.add_argument("--lang", default=None, help="call language (default: the flow's first)")
    sim.add_argument("--caller", default=DEFAULT_CALLER)
    sim.add_argument("--dialed", default=None, help="dialed number (default: the flow's first)")
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    sim.add_argument("--flows", type=Path, default=DEFAULT_FLOWS, metavar="DIR")
    add_context_options(sim)
    sim.set_defaults(func=cmd_simulate)

    graph = flows_sub.add_parser("graph", help="draw a flow (mermaid, dot or svg)")
    graph.add_argument("flow", metavar="FLOW")
    graph.add_argument("--format", choices=sorted(RENDERERS), default="mermaid")
    graph.add_argument("--flows", type=Path, default=DEFAULT_FLOWS, metavar="DIR")
    add_context_options(graph)
    graph.set_defaults(func=cmd_graph)

    schema = flows_sub.add_parser("schema", help="print the JSON Schema of the flow language")
    schema.set_defaults(func=cmd_schema)


def add_context_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queues", type=Path, default=None, metavar="FILE",
                        help=f"queue definitions (default: {DEFAULT_QUEUES})")  # fmt: skip
    parser.add_argument("--prompt-root", type=Path, default=DEFAULT_PROMPTS, metavar="DIR")


def load_context(args: argparse.Namespace) -> Context:
    path: Path | None = args.queues
    if path is None:
        if not DEFAULT_QUEUES.exists():
            print(f"note: {DEFAULT_QUEUES} not found: queue names and skills not checked",
                  file=sys.stderr)  # fmt: skip
            return Context(prompt_root=args.prompt_root)
        path = DEFAULT_QUEUES
    queues, skills = read_queues(path)
    return Context(queues=queues, skills=skills, prompt_root=args.prompt_root)


def read_queues(path: Path) -> tuple[dict[str, dict[str, int]], frozenset[str]]:
    """Queue name -> {skill: min level}, and the known skills (from `queueing.config`)."""
    from queueing.config import load_queues
    from queueing.errors import QueueingError

    try:
        config = load_queues(path)
    except QueueingError as exc:
        raise IvrError(str(exc)) from None
    queues = {name: dict(q.skills) for name, q in config.queues.items()}
    return queues, frozenset(config.skills)


def load_valid(args: argparse.Namespace, paths: list[Path]) -> FlowSet | None:
    """Load and validate; print every error on stderr and return None when anything is wrong."""
    flows, errors = check_files(paths, load_context(args))
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return None
    if not flows.flows:
        print(f"ivr: no flow files in {', '.join(map(str, paths))}", file=sys.stderr)
        return None
    return flows


def cmd_validate(args: argparse.Namespace) -> int:
    paths = list(args.paths) or [DEFAULT_FLOWS]
    flows = load_valid(args, paths)
    if flows is None:
        return 1
    names = ", ".join(sorted(flows.flows))
    print(f"ok: {len(flows.flows)} flow(s) valid: {names}")
    return 0


def pick_flow(flows: FlowSet, name: str) -> str | None:
    if name in flows.flows:
        return name
    print(f"ivr: unknown flow '{name}'{did_you_mean(name, flows.flows)}", file=sys.stderr)
    return None


def cmd_simulate(args: argparse.Namespace) -> int:
    flows = load_valid(args, [args.flows])
    name = pick_flow(flows, args.flow) if flows is not None else None
    if flows is None or name is None:
        return 1
    entry = flows.flow_for_number(args.dialed) if args.dialed else None
    if entry is not None and entry != name:  # like the runtime: the dialed number picks the flow
        print(f"note: dialed number {args.dialed} enters flow '{entry}'", file=sys.stderr)
        name = entry
    flow = flows.flows[name]
    dialed = args.dialed or (flow.numbers[0] if flow.numbers else DEFAULT_DIALED)
    result = simulate(
        flows,
        name,
        parse_inputs(args.inputs),
        language=args.lang,
        caller=args.caller,
        dialed=dialed,
    )
    if args.json:
        body: dict[str, object] = {
            **result.outcome.as_dict(),
            "path": list(result.state.path),
            "prompts": result.prompts,
            "trace": [
                {"flow": t.flow, "node": t.node, "kind": t.kind, "detail": dict(t.detail)}
                for t in result.trace
            ],
        }
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print("\n".join(transcript(result)))
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    flows = load_valid(args, [args.flows])
    name = pick_flow(flows, args.flow) if flows is not None else None
    if flows is None or name is None:
        return 1
    sys.stdout.write(RENDERERS[args.format](flows.flows[name]))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(flow_schema(), ensure_ascii=False, indent=2))
    return 0
