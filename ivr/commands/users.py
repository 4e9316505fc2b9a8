"""`ivr users add NAME --role R [--agent-id A]`, `ivr users list`, `ivr users revoke NAME`.

Rules: the token is printed once, by `add`, on stdout and nowhere else (never logged, never
stored: the database keeps its sha256). `list` never shows tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ivr.errors import NotFound
from ivr.settings import load_settings
from ivr.store.users import UserInfo, UserStore
from ivr.web.auth import ROLES

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("users", help="staff users and API tokens")
    group = parser.add_subparsers(dest="users_command", metavar="SUBCOMMAND")
    group.required = True
    add = group.add_parser("add", help="add a user and print its token (once)")
    add.add_argument("name")
    add.add_argument("--role", action="append", required=True, choices=sorted(ROLES))
    add.add_argument("--agent-id", default=None, help="the queue agent an agent user works as")
    add.set_defaults(func=run_add)
    listing = group.add_parser("list", help="users and roles (no tokens)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--all", action="store_true", help="include revoked users")
    listing.set_defaults(func=run_list)
    revoke = group.add_parser("revoke", help="revoke a user's token and sessions")
    revoke.add_argument("name")
    revoke.set_defaults(func=run_revoke)
    for command in (add, listing, revoke):
        command.add_argument("--config", type=Path, default=None, help="settings YAML file")


def _with_users(args: argparse.Namespace, work: Callable[[UserStore], Awaitable[T]]) -> T:
    async def go() -> T:
        users = await UserStore.open(load_settings(args.config, os.environ).database_url)
        try:
            return await work(users)
        finally:
            await users.close()

    return asyncio.run(go())


def run_add(args: argparse.Namespace) -> int:
    token = _with_users(args, lambda users: users.add_user(args.name, args.role, args.agent_id))
    print(f"user {args.name} added; its token (shown only this once):")
    print(token)
    return 0


def _json(user: UserInfo) -> dict[str, Any]:
    return {
        "name": user.name,
        "roles": sorted(user.roles),
        "agent_id": user.agent_id,
        "created_at": user.created_at.isoformat(),
        "revoked_at": user.revoked_at.isoformat() if user.revoked_at else None,
    }


def run_list(args: argparse.Namespace) -> int:
    users = _with_users(args, lambda store: store.list_users(include_revoked=args.all))
    if args.json:
        print(json.dumps({"users": [_json(u) for u in users]}, indent=2))
        return 0
    if not users:
        print("no users; add one with `ivr users add NAME --role admin`")
    for user in users:
        revoked = f"  revoked {user.revoked_at:%Y-%m-%d %H:%M}" if user.revoked_at else ""
        agent = f"  agent={user.agent_id}" if user.agent_id else ""
        print(f"{user.name}  {','.join(sorted(user.roles))}{agent}{revoked}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    if not _with_users(args, lambda users: users.revoke(args.name)):
        raise NotFound(f"no active user '{args.name}'; `ivr users list` shows them")
    print(f"user {args.name} revoked")
    return 0
