"""`ivr queues status [--json]`, and the store access shared by the staff commands.

Rules: commands talk to Redis and SQL directly (no running app needed), with settings from
`load_settings(--config, os.environ)`. Redis is `IVR_REDIS_URL`/settings, else the local one
`ivr serve` started (`unix://<cwd>/var/redis/redis.sock`). Queue-store refusals and config
errors are `IvrError`s already (`queueing.errors`): they propagate untouched, and `ivr.cli`
prints their message (no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ivr.clock import Clock
from ivr.errors import Unavailable
from ivr.settings import Settings, load_settings
from ivr.web.api_supervisors import stats_json
from queueing.config import load_queues
from queueing.model import AgentState
from queueing.store import RedisQueueStore

T = TypeVar("T")

LOCAL_REDIS_SOCKET = Path("var/redis/redis.sock")
DEFAULT_PREFIX = "ivr:"


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None, help="settings YAML file")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=argparse.SUPPRESS)


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, os.environ)


def redis_url(settings: Settings, root: Path) -> str:
    """The configured Redis, else the local one `ivr serve` runs under `root`."""
    if settings.redis_url:
        return settings.redis_url
    sock = root / LOCAL_REDIS_SOCKET
    if not sock.exists():
        raise Unavailable(
            f"no Redis configured and no local one at {sock}: start `ivr serve` in this "
            "directory or set IVR_REDIS_URL"
        )
    return f"unix://{sock}"


@contextlib.asynccontextmanager
async def queue_store(args: argparse.Namespace) -> AsyncIterator[RedisQueueStore]:
    settings = settings_of(args)
    root = Path.cwd()
    config_dir = settings.paths.config_dir
    path = (config_dir if config_dir.is_absolute() else root / config_dir) / "queues.yaml"
    config = load_queues(path)
    store = RedisQueueStore.from_url(redis_url(settings, root), config, prefix=args.prefix)
    try:
        yield store
    finally:
        await store.close()


def run_store(args: argparse.Namespace, work: Callable[[RedisQueueStore], Awaitable[T]]) -> T:
    """Run `work(store)` to completion (a refusal propagates as its typed error)."""

    async def go() -> T:
        async with queue_store(args) as store:
            return await work(store)

    return asyncio.run(go())


def now_s() -> float:
    return Clock().now_s()


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("queues", help="queue status")
    group = parser.add_subparsers(dest="queues_command", metavar="SUBCOMMAND")
    group.required = True
    status = group.add_parser("status", help="per queue: waiting, longest wait, agents, SL")
    status.add_argument("--json", action="store_true", help="print JSON")
    add_common(status)
    status.set_defaults(func=run_status)


async def _status(store: RedisQueueStore) -> list[dict[str, Any]]:
    at = now_s()
    return [stats_json(await store.queue_stats(name, at)) for name in store.config.queues]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _agents(by_state: dict[str, int]) -> str:
    shown = [f"{n} {s}" for s, n in by_state.items() if n and s != AgentState.LOGGED_OUT]
    return ", ".join(shown) or "-"


def status_table(rows: list[dict[str, Any]]) -> str:
    header = ["QUEUE", "WAITING", "LONGEST", "AGENTS", "SL TODAY", "ABANDON"]
    body = [
        [
            r["queue"],
            str(r["waiting"]),
            f"{r['longest_wait_s']:.0f}s",
            _agents(r["agents_by_state"]),
            _pct(r["service_level_pct"]),
            _pct(r["abandon_rate_pct"]),
        ]
        for r in rows
    ]
    return table(body, header)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [header, *rows]]  # fmt: skip
    return "\n".join(lines)


def run_status(args: argparse.Namespace) -> int:
    rows = run_store(args, _status)
    if args.json:
        print(json.dumps({"queues": rows}, ensure_ascii=False, indent=2))
    else:
        print(status_table(rows))
    return 0
