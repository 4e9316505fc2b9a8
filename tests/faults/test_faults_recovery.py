"""Fault: the app killed with `kill -9` while calls are in a menu, waiting and bridged to an
agent, then started again (same ARI app name, same Redis, same SQLite).

Over real sockets: the sandbox switch in its own process (`bench.calls --switch-only`: its
channels outlive the app), the app in another (`tests.faults.app_proc`), a real redis-server,
SQLite. What must hold after the restart: the agent is usable within 10 s (not left
`on_call`), no channel is left hanging on the switch, nothing is left in the queue, and every
call row is present once and closed. (Adoption of the surviving channels is not built: the
restarted instance reclaims them, so their rows close with outcome `lost`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.calls import PASSWORD
from ivr.ari._http import auth_header
from queueing.config import load_queues
from queueing.model import AgentProfile, AgentState
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore
from tests.helpers import until
from tests.integration.call.conftest import tts_cache

__all__ = ["tts_cache"]

ROOT = Path(__file__).resolve().parents[2]
SPEED = 10.0
AGENT = AgentId("gen-1")
PROMPTS: list[dict[str, Any]] = [
    {"wait_for": "prompt_start", "timeout_s": 60}
] * 3  # welcome, risk, language
TO_AGENT: list[dict[str, Any]] = [
    *PROMPTS,
    {"press": "1"},
    {"wait": 2},
    {"press": "0"},
    {"wait": 600},
]
IN_MENU: list[dict[str, Any]] = [{"wait_for": "prompt_start", "timeout_s": 60}, {"wait": 600}]


async def _spawn(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(60):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise AssertionError(f"{args[1]} exited before READY")
            if line.startswith("READY "):
                return proc, line.split()[1]


@contextlib.asynccontextmanager
async def switch_process() -> AsyncIterator[str]:
    proc, url = await _spawn("-m", "bench.calls", "--switch-only", "--speed", str(SPEED))
    try:
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def start_app(root: Path, ari_url: str, redis_url: str, tts: Path) -> Any:
    proc, _http = await _spawn(
        "-m", "tests.faults.app_proc", str(root), ari_url, redis_url, str(SPEED), str(tts)
    )
    return proc


def rows(db: Path) -> list[tuple[str, str | None, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        found = conn.execute("SELECT channel_id, ended_at, outcome FROM calls").fetchall()
    return [(str(c), e, o) for c, e, o in found]


@pytest.mark.timeout(240)
async def test_app_killed_with_calls_in_menu_waiting_and_bridged(
    tmp_path: Path, redis_server: str, tts_cache: Path
) -> None:
    store = RedisQueueStore.from_url(redis_server, load_queues(ROOT / "config" / "queues.yaml"))
    await store.client.flushdb()
    now = time.time()
    await store.add_agent(
        AgentProfile(AGENT, "李明", "PJSIP/8001", {"mandarin": 2, "general": 2}), now
    )
    await store.login(AGENT, now, ready=True)
    db = tmp_path / "ivr.db"
    async with (
        switch_process() as ari_url,
        aiohttp.ClientSession(headers=auth_header("bench", PASSWORD)) as http,
    ):

        async def place(steps: list[dict[str, Any]], caller: str) -> str:
            scenario = {"dialed": "95555", "caller": caller, "steps": steps}
            async with http.post(f"{ari_url}/sandbox/calls", json=scenario) as resp:
                return str((await resp.json())["channel_id"])

        async def channels() -> list[str]:
            async with http.get(f"{ari_url}/ari/channels") as resp:
                return [c["id"] for c in await resp.json()]

        async def agent_state() -> AgentState | None:
            agent = await store.get_agent(AGENT)
            return None if agent is None else agent.state

        app = await start_app(tmp_path, ari_url, redis_server, tts_cache)
        try:
            bridged = await place(TO_AGENT, "13900000001")
            await until(lambda: _is(agent_state, AgentState.ON_CALL), timeout_s=60, what="bridged")
            waiting = await place(TO_AGENT, "13900000002")

            async def queued() -> bool:
                return await store.get_call(CallKey(waiting)) is not None

            await until(queued, timeout_s=60, what="the second caller waiting")
            in_menu = await place(IN_MENU, "13900000003")
            keys = {bridged, waiting, in_menu}
            await until(lambda: {r[0] for r in rows(db)} >= keys, timeout_s=30, what="rows")
            app.send_signal(signal.SIGKILL)
            await app.wait()
            assert set(await channels()) >= keys  # the switch kept the channels

            killed_at = time.monotonic()
            app = await start_app(tmp_path, ari_url, redis_server, tts_cache)
            await until(lambda: _usable(agent_state), timeout_s=10, what="the agent usable again")
            assert time.monotonic() - killed_at < 30
            await until(lambda: _none_of(channels, keys), timeout_s=20, what="no channel left")
            found = [r for r in rows(db) if r[0] in keys]
            assert sorted(r[0] for r in found) == sorted(keys)  # each row once
            assert all(ended is not None for _c, ended, _o in found)
            assert {o for _c, _e, o in found} == {"lost"}
            for key in keys:
                assert await store.get_call(CallKey(key)) is None
        finally:
            with contextlib.suppress(ProcessLookupError):
                app.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    await app.wait()
            with contextlib.suppress(ProcessLookupError):
                app.kill()
            await store.close()


async def _is(read: Any, state: AgentState) -> bool:
    return bool(await read() is state)


async def _usable(read: Any) -> bool:
    return bool(await read() in (AgentState.READY, AgentState.WRAP_UP))


async def _none_of(read: Any, keys: set[str]) -> bool:
    return not (set(await read()) & keys)
