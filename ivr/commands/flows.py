"""`ivr flows validate|simulate|graph|schema`: check, run and draw voice-menu flows.

Rules: thin shell over `ivr.engine` (pure). Errors go to stderr as `path:line:col: message`, one per
line, exit status 1; never a traceback. Queue names/skills come from `config/queues.yaml` through
`ivr.flowversions.context.read_queues` (skipped with a note when the default file is absent); the
`market_open` condition uses `config/trading_calendar.yaml` (`ivr.engine.tradingcal`) when
present, else the engine's built-in calendar. Simulated calls start at `--now` (local time,
Asia/Shanghai).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ivr.engine.calendar import MarketCalendar
from ivr.engine.errors import did_you_mean
from ivr.engine.graph import TEXT_RENDERERS
from ivr.engine.model import FlowSet
from ivr.engine.schema import flow_schema
from ivr.engine.sim import (
    DEFAULT_CALLER,
    DEFAULT_DIALED,
    DEFAULT_NOW,
    LOCAL_ZONE,
    SimResult,
    parse_inputs,
    simulate,
    transcript,
)
from ivr.engine.simfake import parse_provider_results
from ivr.engine.validate import Context, check_files
from ivr.errors import ErrorList, InputError
from ivr.flowversions.context import read_queues
from ivr.flowversions.picture import PictureUnavailable, flow_svg

DEFAULT_FLOWS = Path("flows")
DEFAULT_QUEUES = Path("config/queues.yaml")
DEFAULT_CALENDAR = Path("config/trading_calendar.yaml")
DEFAULT_PROMPTS = Path("prompts")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("flows", help="validate, simulate and draw voice-menu flows")
    flows_sub = parser.add_subparsers(dest="flows_command", metavar="SUBCOMMAND")
    flows_sub.required = True

    validate = flows_sub.add_parser("validate", help="check flow files (default: flows/)")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    add_context_options(validate)
    asr_help = "also check menu phrases against the speech models of the settings (asr.models)"
    validate.add_argument("--asr", action="store_true", help=asr_help)
    settings_help = "settings YAML for --asr (default: config/settings.yaml)"
    validate.add_argument("--settings", type=Path, default=None, metavar="FILE", help=settings_help)
    validate.set_defaults(func=cmd_validate)

    sim = flows_sub.add_parser("simulate", help="run a flow with scripted inputs")
    sim.add_argument("flow", metavar="FLOW", help="flow name (its `flow:` field)")
    sim.add_argument("--inputs", default="", help='e.g. "1,2,say:紧急下单,wait,#"')
    sim.add_argument("--lang", default=None, help="call language (default: the flow's first)")
    sim.add_argument("--caller", default=DEFAULT_CALLER)
    sim.add_argument("--dialed", default=None, help="dialed number (default: the flow's first)")
    now_help = f"call start, local time (Asia/Shanghai; default {DEFAULT_NOW:%Y-%m-%dT%H:%M})"
    sim.add_argument("--now", default=None, metavar="ISO", help=now_help)
    forced_help = "force a provider's result, e.g. market_status=closed (repeatable)"
    sim.add_argument(
        "--provider-result", action="append", default=[], metavar="NAME=RESULT", help=forced_help
    )
    sim.add_argument("--json", action="store_true", help="print one JSON object")
    sim.add_argument("--flows", type=Path, default=DEFAULT_FLOWS, metavar="DIR")
    add_context_options(sim)
    sim.set_defaults(func=cmd_simulate)

    graph = flows_sub.add_parser("graph", help="draw a flow (mermaid, dot or svg)")
    graph.add_argument("flow", metavar="FLOW")
    graph.add_argument("--format", choices=[*sorted(TEXT_RENDERERS), "svg"], default="mermaid")
    graph.add_argument("--flows", type=Path, default=DEFAULT_FLOWS, metavar="DIR")
    add_context_options(graph)
    graph.set_defaults(func=cmd_graph)

    schema = flows_sub.add_parser("schema", help="print the JSON Schema of the flow language")
    schema.set_defaults(func=cmd_schema)
    from ivr.commands.flow_versions import register_versions

    register_versions(flows_sub)


def add_context_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queues", type=Path, default=None, metavar="FILE",
                        help=f"queue definitions (default: {DEFAULT_QUEUES})")  # fmt: skip
    parser.add_argument("--prompt-root", type=Path, default=DEFAULT_PROMPTS, metavar="DIR")
    calendar_help = f"trading calendar (default: {DEFAULT_CALENDAR} when present)"
    parser.add_argument("--calendar", type=Path, default=None, metavar="FILE", help=calendar_help)


def load_context(args: argparse.Namespace, calendar: MarketCalendar | None) -> Context:
    """The queues (`--queues`, else `config/queues.yaml` when present) and `calendar` the flows
    are checked and run with. A bad queue file raises `QueueConfigErrors` (for `ivr.cli`)."""
    path: Path | None = args.queues
    if path is None:
        if not DEFAULT_QUEUES.exists():
            print(f"note: {DEFAULT_QUEUES} not found: queue names and skills not checked",
                  file=sys.stderr)  # fmt: skip
            return Context(prompt_root=args.prompt_root, calendar=calendar)
        path = DEFAULT_QUEUES
    queues, skills = read_queues(path)
    return Context(queues=queues, skills=skills, prompt_root=args.prompt_root, calendar=calendar)


def read_calendar(path: Path | None) -> MarketCalendar | None:
    """`path`, else `config/trading_calendar.yaml` when it exists, else None (built-in)."""
    from ivr.engine.tradingcal import load_trading_calendar

    if path is None:
        if not DEFAULT_CALENDAR.exists():
            return None
        path = DEFAULT_CALENDAR
    return load_trading_calendar(path)


def load_valid(args: argparse.Namespace, paths: list[Path]) -> FlowSet | None:
    """Load and validate; print every error on stderr and return None when anything is wrong."""
    try:
        calendar = read_calendar(args.calendar)
    except ErrorList as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return None
    flows, errors = check_files(paths, load_context(args, calendar))
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
    if args.asr and not check_speech_vocabulary(flows, args.settings):
        return 1
    names = ", ".join(sorted(flows.flows))
    print(f"ok: {len(flows.flows)} flow(s) valid: {names}")
    return 0


def check_speech_vocabulary(flows: FlowSet, settings_path: Path | None) -> bool:
    """`--asr`: print each phrase word the language's Vosk model lacks (path:line:col)."""
    from asr.errors import AsrError
    from asr.models import ModelRegistry
    from ivr.call.speech import unknown_phrase_words
    from ivr.settings import load_settings

    models = load_settings(settings_path, os.environ).asr.models
    if not models:
        print("note: no asr.models in the settings: phrases not checked", file=sys.stderr)
        return True
    try:
        problems = [str(e) for e in unknown_phrase_words(flows, ModelRegistry(models))]
    except AsrError as exc:
        problems = [str(exc)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return not problems


def pick_flow(flows: FlowSet, name: str) -> str | None:
    if name in flows.flows:
        return name
    print(f"ivr: unknown flow '{name}'{did_you_mean(name, flows.flows)}", file=sys.stderr)
    return None


def parse_now(text: str | None) -> datetime:
    """`--now`: ISO local time (Asia/Shanghai); an explicit offset is converted to it."""
    if text is None:
        return DEFAULT_NOW
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--now must be an ISO local time such as 2026-11-27T22:30 (got '{text}')"
        ) from None
    return at if at.tzinfo is None else at.astimezone(LOCAL_ZONE)


def entry_flow(flows: FlowSet, name: str, dialed: str | None) -> str:
    """Like the runtime: a dialed number listed in a flow's `numbers` picks that flow."""
    entry = flows.flow_for_number(dialed) if dialed else None
    if entry is not None and entry != name:
        print(f"note: dialed number {dialed} enters flow '{entry}'", file=sys.stderr)
        return entry
    return name


def cmd_simulate(args: argparse.Namespace) -> int:
    now = parse_now(args.now)
    answers = parse_provider_results(args.provider_result)
    inputs = parse_inputs(args.inputs)
    flows = load_valid(args, [args.flows])
    name = pick_flow(flows, args.flow) if flows is not None else None
    if flows is None or name is None:
        return 1
    name = entry_flow(flows, name, args.dialed)
    flow = flows.flows[name]
    dialed = args.dialed or (flow.numbers[0] if flow.numbers else DEFAULT_DIALED)
    result = simulate(
        flows, name, inputs, language=args.lang, caller=args.caller, dialed=dialed, now=now,
        answers=answers,
    )  # fmt: skip
    if args.json:
        print(json.dumps(json_body(result), ensure_ascii=False, indent=2))
    else:
        print("\n".join(transcript(result)))
    return 0


def json_body(result: SimResult) -> dict[str, object]:
    """The `--json` object: the outcome's keys, path, prompts, screen pop (`attributes`), trace."""
    return {
        **result.outcome.as_dict(),
        "path": list(result.state.path),
        "prompts": result.prompts,
        "attributes": result.screen_pop(),
        "trace": [
            {"flow": t.flow, "node": t.node, "kind": t.kind, "detail": dict(t.detail)}
            for t in result.trace
        ],
    }


def cmd_graph(args: argparse.Namespace) -> int:
    flows = load_valid(args, [args.flows])
    name = pick_flow(flows, args.flow) if flows is not None else None
    if flows is None or name is None:
        return 1
    flow = flows.flows[name]
    if args.format == "svg":
        try:
            sys.stdout.write(flow_svg(flow))
        except PictureUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(TEXT_RENDERERS[args.format](flow))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(flow_schema(), ensure_ascii=False, indent=2))
    return 0
