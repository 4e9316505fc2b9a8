"""`ivr flows publish|versions|rollback`: flow versions from the command line.

Rules: thin shell over `ivr.flowversions.service` on the configured database (`IVR_DATABASE_URL` /
settings; migrated on open). Flow files of `flows/` without a stored version are seeded first
(version 1, author `seed`). A refused publish or rollback prints every error on stderr as
`path:line:col: message` (the path: the published file) and exits 1; nothing is saved. A
running app picks a change up within a few seconds (it polls the generation).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ivr.errors import ErrorList
from ivr.flowversions.context import flow_context
from ivr.flowversions.service import AlreadyLive, FlowVersions
from ivr.settings import Settings, load_settings
from ivr.store import CallStore
from ivr.store.flowversions import FlowVersion, FlowVersionStore

T = TypeVar("T")


def register_versions(flows_sub: argparse._SubParsersAction[Any]) -> None:
    """Add `publish`, `versions` and `rollback` to the `ivr flows` sub-commands."""
    publish = flows_sub.add_parser(
        "publish", help="save a flow file as a new version, make it live"
    )
    publish.add_argument("flow", metavar="FLOW", help="flow name (its file stem and `flow:`)")
    publish.add_argument("--file", type=Path, default=None, help="YAML (default flows/FLOW.yaml)")
    publish.set_defaults(func=cmd_publish)

    versions = flows_sub.add_parser("versions", help="list the versions of a flow")
    versions.add_argument("flow", metavar="FLOW")
    versions.add_argument("--json", action="store_true", help="print one JSON object")
    versions.set_defaults(func=cmd_versions)

    rollback = flows_sub.add_parser("rollback", help="make an earlier version live again")
    rollback.add_argument("flow", metavar="FLOW")
    rollback.add_argument("version", type=int, metavar="VERSION")
    rollback.set_defaults(func=cmd_rollback)

    for parser in (publish, rollback):
        parser.add_argument("--comment", default="", help="why (kept in the audit log)")
        parser.add_argument("--author", default=None, help="who (default: the login name)")
    for parser in (publish, versions, rollback):
        parser.add_argument("--settings", type=Path, default=None, help="settings YAML file")


def _run(args: argparse.Namespace, work: Callable[[FlowVersions], Awaitable[T]]) -> T:
    settings = load_settings(args.settings, os.environ)
    return asyncio.run(_with_service(settings, work))


async def _with_service(settings: Settings, work: Callable[[FlowVersions], Awaitable[T]]) -> T:
    root = Path.cwd()
    store = await CallStore.open(settings.database_url)
    try:
        service = FlowVersions(
            FlowVersionStore(store.engine), flow_context(settings, root), settings.paths.flows_dir
        )
        seed_dir = settings.paths.flows_dir
        seed_dir = seed_dir if seed_dir.is_absolute() else root / seed_dir
        if seed_dir.is_dir():
            await service.seed_from(seed_dir)
        return await work(service)
    finally:
        await store.close()


def _author(args: argparse.Namespace) -> str:
    return str(args.author or getpass.getuser())


def _refused(exc: ErrorList) -> int:
    for error in exc.errors:
        print(error, file=sys.stderr)
    return 1


def cmd_publish(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings, os.environ)
    path: Path = args.file or settings.paths.flows_dir / f"{args.flow}.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"ivr: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"ivr: {path} is not UTF-8 text", file=sys.stderr)
        return 1

    async def work(service: FlowVersions) -> str:
        version, entry = await service.publish_text(
            args.flow, text, _author(args), args.comment, path=path
        )
        was = f" (was {entry.from_version})" if entry.from_version else ""
        return f"published {args.flow} version {version.number}{was}"

    try:
        print(asyncio.run(_with_service(settings, work)))
    except ErrorList as exc:
        return _refused(exc)
    except AlreadyLive as exc:
        print(f"nothing to publish: {exc}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    async def work(service: FlowVersions) -> str:
        entry = await service.rollback(args.flow, args.version, _author(args), args.comment)
        return f"rolled back {args.flow} to version {entry.to_version} (was {entry.from_version})"

    try:
        print(_run(args, work))
    except ErrorList as exc:
        return _refused(exc)
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    async def work(service: FlowVersions) -> tuple[list[FlowVersion], int | None]:
        versions = await service.store.versions(args.flow)
        return versions, (await service.store.live()).numbers.get(args.flow)

    versions, live = _run(args, work)
    if args.json:
        rows = [_json(v, live) for v in versions]
        print(json.dumps({"flow": args.flow, "live": live, "versions": rows}, ensure_ascii=False))
        return 0
    header = ["VERSION", "LIVE", "CREATED", "AUTHOR", "SHA256", "COMMENT"]
    print(_table([header, *(_row(v, live) for v in versions)]))
    return 0


def _json(v: FlowVersion, live: int | None) -> dict[str, Any]:
    return {
        "version": v.number, "live": v.number == live, "sha256": v.sha256, "author": v.author,
        "created_at": v.created_at.isoformat(), "comment": v.comment,
    }  # fmt: skip


def _row(v: FlowVersion, live: int | None) -> list[str]:
    created = v.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return [str(v.number), "*" if v.number == live else "", created, v.author, v.sha256[:12],
            v.comment]  # fmt: skip


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
