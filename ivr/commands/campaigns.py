"""`ivr campaigns load [--kind margin_notice|survey] FILE.csv [--by NAME]`, `ivr campaigns
status [--json]` and `ivr campaigns dnc NUMBER --reason TEXT` (docs/dialer.md, docs/surveys.md).

Rules: `load` validates the whole file first; a bad line is printed as `FILE:LINE: field:
reason` and nothing from the file is queued (exit 1). The running app's dialer picks queued
notices up within seconds. `status` prints per-campaign counts by status; accounts are never
printed. Reads the configured database (`IVR_DATABASE_URL` / settings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivr.errors import InputError
from ivr.outbound.service import KINDS, add_do_not_call, load_campaign
from ivr.settings import load_settings
from ivr.store import CallStore
from ivr.store.outbound import STATUSES, CampaignStatus, OutboundStore


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("campaigns", help="automated outbound calls: load, status, dnc")
    group = parser.add_subparsers(dest="campaigns_command", metavar="SUBCOMMAND")
    group.required = True
    load = group.add_parser("load", help="queue a campaign CSV (checked whole first)")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--kind", choices=KINDS, default="margin_notice",
        help="margin_notice (account,phone,...) or survey (phone,call_id,agent,queue)",
    )  # fmt: skip
    load.add_argument("--by", default=os.environ.get("USER", "cli"), help="who loads it")
    load.set_defaults(func=run_load)
    status = group.add_parser("status", help="per-campaign counts by status")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)
    dnc = group.add_parser("dnc", help="put a number on the do-not-call list")
    dnc.add_argument("number")
    dnc.add_argument("--reason", required=True)
    dnc.set_defaults(func=run_dnc)
    for command in (load, status, dnc):
        command.add_argument("--settings", type=Path, default=None, help="settings YAML file")


async def _with_store(args: argparse.Namespace) -> tuple[CallStore, OutboundStore]:
    settings = load_settings(args.settings, os.environ)
    calls = await CallStore.open(settings.database_url)  # migrated
    return calls, OutboundStore(calls.engine)


def _counts(c: CampaignStatus) -> str:
    return " ".join(f"{s}={c.counts[s]}" for s in STATUSES if c.counts.get(s))


def status_doc(c: CampaignStatus) -> dict[str, object]:
    return {
        "id": c.id, "kind": c.kind, "name": c.name, "created_by": c.created_by,
        "created_at": c.created_at.isoformat(), "total": sum(c.counts.values()),
        "counts": {s: c.counts.get(s, 0) for s in STATUSES},
    }  # fmt: skip


def run_load(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InputError(f"{args.file}: cannot read ({exc.strerror})") from None

    async def load() -> CampaignStatus:
        calls, store = await _with_store(args)
        try:
            now = datetime.now(UTC)
            return await load_campaign(store, args.kind, data, str(args.file), args.by, now)
        finally:
            await calls.close()

    campaign = asyncio.run(load())
    noun = "surveys" if campaign.kind == "survey" else "notices"
    print(f"campaign {campaign.id}: {sum(campaign.counts.values())} {noun} ({_counts(campaign)})")
    return 0


def run_status(args: argparse.Namespace) -> int:
    async def read() -> list[CampaignStatus]:
        calls, store = await _with_store(args)
        try:
            return await store.status()
        finally:
            await calls.close()

    campaigns = asyncio.run(read())
    if args.json:
        print(json.dumps([status_doc(c) for c in campaigns], ensure_ascii=False, indent=2))
        return 0
    if not campaigns:
        print("no campaigns")
    for c in campaigns:
        total = sum(c.counts.values())
        print(f"{c.id:>4}  {c.kind}  {c.name}  total={total}  {_counts(c)}")
    return 0


def run_dnc(args: argparse.Namespace) -> int:
    async def add() -> str:
        calls, store = await _with_store(args)
        try:
            return await add_do_not_call(store, args.number, args.reason, datetime.now(UTC))
        finally:
            await calls.close()

    print(f"do not call: {asyncio.run(add())}")
    return 0
