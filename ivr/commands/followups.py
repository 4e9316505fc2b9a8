"""`ivr followups list|show|claim|close`: the follow-up work items from a terminal.

- `list [--kind K] [--status S] [--overdue] [--json]`: items, phone orders first.
- `show ID [--json]`: one item with its history (who, when, what, why).
- `claim ID --user NAME`: claim for the staff user NAME (an active user with role agent).
- `close ID --user NAME --outcome OUTCOME [--failed] [--note TEXT]`: close an item NAME holds.

Rules: reads and writes the configured database (`IVR_DATABASE_URL` / settings) through the
same store and status table as the API, so the same refusals apply (illegal moves, another
user's claim) and every change is a history row. Accounts are shown masked (`****5678`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ivr.errors import Forbidden, InputError
from ivr.followups.status import KINDS, STATUSES
from ivr.followups.store import Followup, FollowupStore
from ivr.settings import load_settings
from ivr.store.engine import open_engine
from ivr.store.users import ROLE_AGENT, UserStore

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("followups", help="follow-up work items: list, show, claim, close")
    group = parser.add_subparsers(dest="followups_command", metavar="SUBCOMMAND")
    group.required = True
    listing = group.add_parser("list", help="items, phone orders first")
    listing.add_argument("--kind", choices=KINDS)
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--overdue", action="store_true", help="only items past their due time")
    listing.set_defaults(func=lambda a: _run(a, _list))
    show = group.add_parser("show", help="one item with its history")
    show.add_argument("id", type=int)
    show.set_defaults(func=lambda a: _run(a, _show))
    claim = group.add_parser("claim", help="claim an item for a staff user (role agent)")
    claim.add_argument("id", type=int)
    claim.set_defaults(func=lambda a: _run(a, _claim))
    close = group.add_parser("close", help="close an item you hold with an outcome")
    close.add_argument("id", type=int)
    close.add_argument("--outcome", required=True, help="e.g. order_confirmed, answered")
    close.add_argument("--failed", action="store_true", help="close as failed (default: done)")
    close.add_argument("--note", default="")
    close.set_defaults(func=lambda a: _run(a, _close))
    for command in (claim, close):
        command.add_argument("--user", required=True, help="the staff user acting")
    for command in (listing, show, claim, close):
        command.add_argument("--json", action="store_true", help="print JSON")
        command.add_argument("--settings", type=Path, default=None, help="settings YAML file")


Action = Callable[[argparse.Namespace, FollowupStore, UserStore], Awaitable[T]]


def _run(args: argparse.Namespace, action: Action[list[Followup] | Followup]) -> int:
    result = asyncio.run(_with_stores(args, action))
    items = result if isinstance(result, list) else [result]
    now = datetime.now(UTC)
    if args.json:
        body: Any = (
            [i.to_json(now) for i in items] if isinstance(result, list) else items[0].to_json(now)
        )
        print(json.dumps(body, ensure_ascii=False, indent=2))
    elif isinstance(result, list):
        print(_table(items, now) if items else "no follow-ups")
    else:
        print(_detail(result, now))
    return 0


async def _with_stores(args: argparse.Namespace, action: Action[T]) -> T:
    settings = load_settings(args.settings, os.environ)
    engine = await open_engine(settings.database_url)
    try:
        return await action(args, FollowupStore(engine), UserStore(engine))
    finally:
        await engine.dispose()


async def _list(args: argparse.Namespace, store: FollowupStore, _u: UserStore) -> list[Followup]:
    return await store.search(kind=args.kind, status=args.status, overdue=args.overdue)


async def _show(args: argparse.Namespace, store: FollowupStore, _u: UserStore) -> Followup:
    return await store.get(args.id)


async def _agent(users: UserStore, name: str) -> str:
    user = await users.get_user(name)
    if user is None or user.revoked_at is not None:
        raise InputError(f"--user: no active staff user '{name}' (see `ivr users list`)")
    if ROLE_AGENT not in user.roles:
        raise Forbidden(f"--user: '{name}' is not an agent; only agents claim and close")
    return user.name


async def _claim(args: argparse.Namespace, store: FollowupStore, users: UserStore) -> Followup:
    name = await _agent(users, args.user)
    await store.move(args.id, "claimed", actor=name, action="claimed",
                     why=f"claimed by {name} (cli)", claimed_by=name)  # fmt: skip
    return await store.get(args.id)


async def _close(args: argparse.Namespace, store: FollowupStore, users: UserStore) -> Followup:
    name = await _agent(users, args.user)
    why = f"{args.outcome}: {args.note}" if args.note else args.outcome
    await store.move(args.id, "failed" if args.failed else "done", actor=name, action="closed",
                     why=why, outcome=args.outcome, expect_claimed_by=name)  # fmt: skip
    return await store.get(args.id)


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


HEADER = ["ID", "KIND", "STATUS", "PRIO", "DUE", "CALLER", "ACCOUNT", "CLAIMED", "REASON"]


def _table(items: list[Followup], now: datetime) -> str:
    rows = [
        [str(i.id), i.kind, i.status + (" (overdue)" if i.overdue(now) else ""), i.priority,
         _when(i.due_at), i.caller, i.account_masked or "-", i.claimed_by or "-", i.reason]
        for i in items
    ]  # fmt: skip
    widths = [max(len(r[c]) for r in [HEADER, *rows]) for c in range(len(HEADER))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in [HEADER, *rows])  # fmt: skip


def _detail(item: Followup, now: datetime) -> str:
    lines = [
        f"follow-up {item.id}: {item.kind} ({item.priority}) {item.status}"
        + (" OVERDUE" if item.overdue(now) else ""),
        f"caller {item.caller}  account {item.account_masked or '-'}  reason {item.reason}",
        f"due {_when(item.due_at)}  claimed by {item.claimed_by or '-'}",
        f"call {item.call_id or '-'}",
    ]
    if item.order:
        lines.append("order " + " ".join(f"{k}={v}" for k, v in item.order.items() if v))
    if item.recordings:
        lines.append("recordings " + ", ".join(item.recordings))
    if item.outcome:
        lines.append(f"outcome {item.outcome}")
    lines.append("history:")
    lines += [f"  {_when(h.at)}  {h.actor:<10} {h.action:<18} {h.status:<12} {h.why}"
              for h in item.history]  # fmt: skip
    return "\n".join(lines)
