"""Benchmark of the fault suite: what each fault costs the callers, the agents and the records.

One row per fault, each over real sockets (the sandbox switch, a real `redis-server` of its
own, SQLite), the app at speed 10 with the test clock (Monday 10:00, business hours):
- `app_kill`: `kill -9` of the app (its own process) with calls in menus, waiting and bridged
  to agents, then a restart: the survivors are adopted (`ivr.call.adoption`);
- `redis_kill`: Redis killed with callers waiting, then started again on its AOF;
- `sql_lock`: the SQLite database locked for 10 s during a burst of calls;
- `websocket_drop`: the events websocket cut for 5 s (reconnections refused) during a burst.

Columns: calls (given to the app), dropped (a call the app let go: not ended by its caller,
nor by the flow's own end, nor refused by the switch), stuck agents (not usable once the calls
are over), lost records (a call with no row, or a row never closed, or closed `lost`),
duplicates (a channel with more than one row), recover_s (from the end of the fault to the
service whole again: survivors adopted, `/healthz` 200, the journal written, events flowing).
The last line printed is one JSON object with every row (`websocket_drop` also counts the
calls the switch refused during the cut: they fall through the dialplan, as on Asterisk).

    .venv/bin/python -m bench.faults [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SPEED = 10.0
MONDAY_10AM = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COLUMNS = ("fault", "calls", "dropped", "stuck_agents", "lost_records", "duplicates", "recover_s")
PROMPT: dict[str, Any] = {"wait_for": "prompt_start", "timeout_s": 60}
PROMPTS: list[dict[str, Any]] = [PROMPT] * 3  # welcome, risk notice, main menu
# the language menu first, then 1 (Mandarin), the greeting and the main menu, then 0 (an agent)
TO_QUEUE: list[dict[str, Any]] = [PROMPT, {"press": "1"}, *PROMPTS, {"wait": 1}, {"press": "0"}]
BURST = [*TO_QUEUE, {"wait": 30}, {"hangup": True}]
LONG = [*TO_QUEUE, {"wait": 900}]
IN_MENU = [PROMPTS[0], {"wait": 900}]


class Redis:
    """A redis-server (AOF on) on a unix socket in `workdir`, killed and restarted at will."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.sock = workdir, workdir / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"unix://{self.sock}"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server is not installed: run scripts/bootstrap")
        self.sock.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--unixsocket", str(self.sock), "--unixsocketperm", "700",
             "--dir", str(self.workdir), "--appendonly", "yes", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


async def until(check: Callable[[], Any], timeout_s: float) -> bool:
    """Poll `check` (sync or async) until true; False when `timeout_s` passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return True
        await asyncio.sleep(0.05)
    return False


def _env(root: Path, redis: Redis, **extra: str) -> dict[str, str]:
    return {
        "IVR_HTTP_PORT": "0", "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{root}/ivr.db",
        "IVR_REDIS_URL": redis.url, "IVR_TTS_CACHE": str(ROOT / "var" / "tts-cache"),
        "IVR_RECORDINGS_DIR": str(root / "recordings"), "IVR_SANDBOX_SPEED": str(SPEED),
        "IVR_FLOWS_DIR": str(ROOT / "flows"), "IVR_CONFIG_DIR": str(ROOT / "config"),
        "IVR_LOG_LEVEL": "ERROR", **extra,
    }  # fmt: skip


@contextlib.asynccontextmanager
async def _app(root: Path, redis: Redis) -> AsyncIterator[Any]:
    from ivr.app import App
    from ivr.clock import Clock
    from ivr.settings import load_settings

    settings = load_settings(ROOT / "config" / "settings.yaml", _env(root, redis))
    app = await App.start(settings, root, clock=Clock(speed=SPEED, fixed_now=MONDAY_10AM))
    try:
        yield app
    finally:
        await app.stop()


def _rows(db: Path) -> list[tuple[str, str | None, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return list(conn.execute("SELECT channel_id, ended_at, outcome FROM calls"))


def _records(db: Path, keys: list[str]) -> tuple[int, int]:
    """(lost records, duplicates) among the calls `keys`."""
    rows = [r for r in _rows(db) if r[0] in set(keys)]
    seen = [c for c, _e, _o in rows]
    closed = {c for c, e, o in rows if e is not None and o != "lost"}
    return sum(1 for k in keys if k not in closed), len(seen) - len(set(seen))


def _row(fault: str, calls: int, dropped: int, stuck: int, db: Path, keys: list[str],
         recover_s: float, **more: Any) -> dict[str, Any]:  # fmt: skip
    lost, duplicates = _records(db, keys)
    return {
        "fault": fault, "calls": calls, "dropped": dropped, "stuck_agents": stuck,
        "lost_records": lost, "duplicates": duplicates, "recover_s": round(recover_s, 2), **more,
    }  # fmt: skip


# ---------------------------------------------------------------------- in-process faults


async def _burst(app: Any, n: int, steps: list[dict[str, Any]], during: Any = None) -> list[Any]:
    from ivr.sandbox.scenario import scenario_from_dict

    calls = []
    for i in range(n):
        if during is not None and i == n // 3:
            await during()
        data = {"dialed": "95555", "caller": f"1390000{i:04d}", "steps": steps}
        calls.append(await app.switch.place_call(scenario_from_dict(data)))
        await asyncio.sleep(0)
    return calls


def _dropped(calls: list[Any]) -> int:
    return sum(1 for c in calls if c.transcript.ended_by not in ("caller", "switch", "app"))


async def fault_websocket_drop(root: Path, redis: Redis, n: int) -> dict[str, Any]:
    async with _app(root, redis) as app:
        await app.queue_store.client.flushdb()
        cut: dict[str, float] = {}

        async def drop() -> None:
            await app.switch.drop_websockets(refuse_s=5.0)
            cut["until"] = time.monotonic() + 5.0

        calls = await _burst(app, n, BURST, drop)
        await until(lambda: time.monotonic() >= cut["until"], 30)
        await until(app.services.events.connected.is_set, 60)
        recover_s = time.monotonic() - cut["until"]
        await until(lambda: all(c.done for c in calls), 300)
        await until(lambda: not app.sessions, 30)
        await app.call_records.flush()
        taken = [c for c in calls if c.transcript.ended_by != "switch"]
        keys = [c.channel_id for c in taken]
        return _row("websocket_drop", len(taken), _dropped(taken), 0, root / "ivr.db", keys,
                    recover_s, refused_by_switch=n - len(taken))  # fmt: skip


async def fault_sql_lock(root: Path, redis: Redis, n: int) -> dict[str, Any]:
    async with _app(root, redis) as app:
        await app.queue_store.client.flushdb()
        release = threading.Event()

        def hold_lock() -> None:
            con = sqlite3.connect(root / "ivr.db", isolation_level=None, timeout=10)
            con.execute("BEGIN EXCLUSIVE")
            release.wait(60)
            con.execute("COMMIT")
            con.close()

        holder = asyncio.get_running_loop().run_in_executor(None, hold_lock)
        calls = await _burst(app, n, BURST)
        await asyncio.sleep(10.0)  # the fault itself: the database locked for 10 s
        release.set()
        await holder
        unlocked = time.monotonic()
        await until(lambda: all(c.done for c in calls), 300)
        await until(lambda: not app.sessions, 30)
        await app.call_records.flush()
        recover_s = time.monotonic() - unlocked
        keys = [c.channel_id for c in calls]
        return _row("sql_lock", n, _dropped(calls), 0, root / "ivr.db", keys, recover_s)


async def fault_redis_kill(root: Path, redis: Redis, n: int) -> dict[str, Any]:
    import aiohttp

    async with _app(root, redis) as app:
        await app.queue_store.client.flushdb()
        calls = await _burst(app, n, LONG)
        await until(lambda: _all_queued(app, calls), 120)
        redis.kill()
        async with aiohttp.ClientSession() as http:
            await until(lambda: _health(http, app, 503), 30)
            redis.start()
            restarted = time.monotonic()
            await until(lambda: _health(http, app, 200), 60)
            recover_s = time.monotonic() - restarted
        for call in calls:
            if not call.done:
                app.switch.hangup(call.channel_id)
        await until(lambda: all(c.done for c in calls), 120)
        await until(lambda: not app.sessions, 30)
        await app.call_records.flush()
        keys = [c.channel_id for c in calls]
        return _row("redis_kill", n, _dropped(calls), 0, root / "ivr.db", keys, recover_s)


async def _all_queued(app: Any, calls: list[Any]) -> bool:
    return all(s.state is not None and s.state.phase == "queued" for s in app.sessions.values())


async def _health(http: Any, app: Any, status: int) -> bool:
    with contextlib.suppress(Exception):
        async with http.get(f"{app.http_url}/healthz") as resp:
            return bool(resp.status == status)
    return False


# ---------------------------------------------------------------------- app kill (processes)


async def _spawn(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    """A child process of ours and what follows `READY` on its first such line."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(120):
        while not (line := (await proc.stdout.readline()).decode()).startswith("READY"):
            if not line:
                raise SystemExit(f"{args[1]} exited before READY")
    return proc, line.split()[1]


async def fault_app_kill(root: Path, redis: Redis, n: int) -> dict[str, Any]:
    import aiohttp

    from bench.calls import PASSWORD
    from ivr.ari._http import auth_header
    from queueing.config import load_queues
    from queueing.model import AgentProfile, AgentState
    from queueing.policy import AgentId
    from queueing.store import RedisQueueStore

    usable = (AgentState.READY, AgentState.WRAP_UP)
    store = RedisQueueStore.from_url(redis.url, load_queues(ROOT / "config" / "queues.yaml"))
    await store.client.flushdb()
    agents = [AgentId(f"gen-{i}") for i in (1, 2)]
    for i, agent in enumerate(agents, start=1):
        profile = AgentProfile(agent, f"坐席{i}", f"PJSIP/800{i}", {"mandarin": 2, "general": 2})
        await store.add_agent(profile, time.time())
        await store.login(agent, time.time(), ready=True)
    switch, url = await _spawn("-m", "bench.calls", "--switch-only", "--speed", str(SPEED))
    tts = str(ROOT / "var" / "tts-cache")
    app_args = ("-m", "tests.faults.app_proc", str(root), url, redis.url, str(SPEED), tts)
    app: asyncio.subprocess.Process | None = None
    try:
        app, _http_url = await _spawn(*app_args)
        async with aiohttp.ClientSession(headers=auth_header("bench", PASSWORD)) as http:

            async def place(steps: list[dict[str, Any]], i: int) -> str:
                body = {"dialed": "95555", "caller": f"1391000{i:04d}", "steps": steps}
                async with http.post(f"{url}/sandbox/calls", json=body) as resp:
                    return str((await resp.json())["channel_id"])

            async def states() -> list[Any]:
                return [getattr(await store.get_agent(a), "state", None) for a in agents]

            async def all_usable() -> bool:
                return all(s in usable for s in await states())

            keys = [await place(LONG, i) for i in range(len(agents))]
            await until(lambda: _eq(states, [AgentState.ON_CALL] * len(agents)), 120)
            keys += [await place(LONG, 10 + i) for i in range(max(1, n // 3))]
            keys += [await place(IN_MENU, 100 + i) for i in range(max(1, n - len(keys)))]
            await until(lambda: {r[0] for r in _rows(root / "ivr.db")} >= set(keys), 120)
            await asyncio.sleep(2.0)  # every call in its place (menu prompt, hold music)
            app.send_signal(signal.SIGKILL)
            await app.wait()
            app, _http_url = await _spawn(*app_args)
            restarted = time.monotonic()
            owned = f"{store.prefix}owned:futures-ivr"

            async def adopted() -> bool:
                return set(keys) <= {str(k) for k in await store.client.smembers(owned)}

            await until(adopted, 60)
            recover_s = time.monotonic() - restarted
            for key in keys:  # everybody hangs up: agents to wrap-up, rows closed
                async with http.delete(f"{url}/ari/channels/{key}") as resp:
                    await resp.read()
            await until(all_usable, 30)
            stuck = sum(1 for s in await states() if s not in usable)
            await until(lambda: _closed(root / "ivr.db", keys), 30)
            async with http.get(f"{url}/sandbox/calls") as resp:
                ended = await resp.json()
            dropped = sum(1 for c in ended if c["finished"] and c["outcome"] != "app hung up")
        return _row("app_kill", len(keys), dropped, stuck, root / "ivr.db", keys, recover_s)
    finally:
        for proc in (app, switch):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(15):
                        await proc.wait()
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        await store.close()


def _closed(db: Path, keys: list[str]) -> bool:
    ended = {c for c, e, _o in _rows(db) if e is not None}
    return set(keys) <= ended


async def _eq(read: Callable[[], Any], expected: Any) -> bool:
    return bool(await read() == expected)


# ---------------------------------------------------------------------- main

FAULTS = {
    "app_kill": fault_app_kill,
    "redis_kill": fault_redis_kill,
    "sql_lock": fault_sql_lock,
    "websocket_drop": fault_websocket_drop,
}


async def _run(names: list[str], calls: int) -> list[dict[str, Any]]:
    results = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            root = Path(tmp)
            redis = Redis(root / "redis")
            redis.workdir.mkdir()
            redis.start()
            await until(redis.sock.exists, 10)
            try:
                results.append(await FAULTS[name](root, redis, calls))
            finally:
                redis.kill()
        print(_line(results[-1]), flush=True)
    return results


def _width(column: str) -> int:
    return 14 if column == "fault" else max(len(column), 6)


def _line(row: dict[str, Any]) -> str:
    return "  ".join(f"{row[c]!s:>{_width(c)}}" for c in COLUMNS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20, help="calls per fault")
    parser.add_argument("--only", choices=sorted(FAULTS), action="append")
    args = parser.parse_args()
    os.chdir(ROOT)
    print("  ".join(f"{c:>{_width(c)}}" for c in COLUMNS), flush=True)
    rows = asyncio.run(_run(args.only or list(FAULTS), args.calls))
    print(json.dumps({"faults": rows}))


if __name__ == "__main__":
    main()
