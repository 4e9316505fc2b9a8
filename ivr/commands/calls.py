"""`ivr calls list [--limit N] [--since ISO] [--json]` and `ivr calls show ID [--json]`.

Rules: reads the call records of the configured database (`IVR_DATABASE_URL` / settings);
prints a table or, with `--json`, one JSON document. Trace details are stored masked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from ivr.errors import NotFound
from ivr.settings import load_settings
from ivr.store import CallDetail, CallStore, CallSummary


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("calls", help="call records: list and show")
    group = parser.add_subparsers(dest="calls_command", metavar="SUBCOMMAND")
    group.required = True
    listing = group.add_parser("list", help="the newest calls")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--since", type=datetime.fromisoformat, default=None, help="ISO time")
    listing.set_defaults(func=run_list)
    show = group.add_parser("show", help="one call with its IVR trace")
    show.add_argument("id")
    show.set_defaults(func=run_show)
    for command in (listing, show):
        command.add_argument("--json", action="store_true", help="print JSON")
        command.add_argument("--settings", type=Path, default=None, help="settings YAML file")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _duration(call: CallSummary) -> str:
    if call.ended_at is None:
        return "-"
    return f"{(call.ended_at - call.started_at).total_seconds():.0f}s"


def _row(call: CallSummary) -> list[str]:
    return [
        call.id, _time(call.started_at), call.caller, call.dialed, call.flow, call.language,
        call.outcome or "(active)", call.hangup_cause or "-", call.queue or "-", _duration(call),
    ]  # fmt: skip


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in [header, *rows])  # fmt: skip


HEADER = ["ID", "STARTED", "CALLER", "DIALED", "FLOW", "LANG", "OUTCOME", "CAUSE", "QUEUE", "DUR"]


async def _with_store(args: argparse.Namespace) -> CallStore:
    settings = load_settings(args.settings, os.environ)
    return await CallStore.open(settings.database_url)


async def _list(args: argparse.Namespace) -> list[CallSummary]:
    store = await _with_store(args)
    try:
        return await store.list_calls(limit=args.limit, since=args.since)
    finally:
        await store.close()


async def _show(args: argparse.Namespace) -> CallDetail | None:
    store = await _with_store(args)
    try:
        return await store.get_call(args.id)
    finally:
        await store.close()


def run_list(args: argparse.Namespace) -> int:
    calls = asyncio.run(_list(args))
    if args.json:
        print(json.dumps([_jsonable(asdict(c)) for c in calls], ensure_ascii=False, indent=2))
    elif not calls:
        print("no calls recorded")
    else:
        print(_table([_row(c) for c in calls], HEADER))
    return 0


def _trace_line(entry: Any) -> str:
    where = f"{entry.flow}/{entry.node}" if entry.flow else entry.node
    detail = json.dumps(dict(entry.detail), ensure_ascii=False, sort_keys=True)
    stamp = entry.at.astimezone().strftime("%H:%M:%S.%f")[:-3]
    return f"{entry.seq:>4}  {stamp}  {where}  {entry.kind}  {detail}"


def run_show(args: argparse.Namespace) -> int:
    detail = asyncio.run(_show(args))
    if detail is None:
        raise NotFound(f"no call with id {args.id!r}; `ivr calls list` shows the recorded ones")
    if args.json:
        doc = {"call": asdict(detail.call), "trace": [asdict(t) for t in detail.trace]}
        print(json.dumps(_jsonable(doc), ensure_ascii=False, indent=2))
        return 0
    print(_table([_row(detail.call)], HEADER))
    print(f"flow version: {detail.call.flow_version or '-'}  channel: {detail.call.channel_id}")
    print(f"answered: {_time(detail.call.answered_at)}  ended: {_time(detail.call.ended_at)}")
    print("trace:" if detail.trace else "trace: (empty)")
    for entry in detail.trace:
        print(_trace_line(entry))
    return 0
