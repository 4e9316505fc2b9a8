"""Fault case 1: the app killed with `kill -9` with 20 calls in menus, 10 waiting in a queue and
3 bridged to agents, then started again (same ARI app name, same Redis, same SQLite).

Over real sockets: the sandbox switch in its own process (`bench.calls --switch-only`: its
channels outlive the app, as on Asterisk), the app in another (`tests.faults.app_proc`), a
real redis-server, SQLite. What must hold after the restart (`ivr.call.adoption`): every
bridged call is still talking, tracked to its end (its agent to wrap-up within 10 s of the
restart once the agent hangs up); every waiting caller is back in the queue in the same order,
hearing hold music again; every menu caller heard the apology and the menu again; every call
row is present once, its trace numbered on without a gap, closed exactly once at the end.
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
from ivr.call.media import prompt_text
from ivr.call.resumed import APOLOGY
from queueing.config import load_queues
from queueing.model import AgentProfile, AgentState
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore
from tests.helpers import until
from tests.integration.call.conftest import tts_cache

__all__ = ["tts_cache"]

ROOT = Path(__file__).resolve().parents[2]
SPEED = 10.0
PROMPT: dict[str, Any] = {"wait_for": "prompt_start", "timeout_s": 60}
TO_AGENT: list[dict[str, Any]] = [
    PROMPT,  # the language menu (language first)
    {"press": "1"},
    *[PROMPT] * 3,  # welcome, risk notice, main menu
    {"wait": 1},
    {"press": "0"},
    {"wait": 600},
]
IN_MENU: list[dict[str, Any]] = [{"wait_for": "prompt_start", "timeout_s": 60}, {"wait": 600}]


async def _spawn(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
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
                return proc, line.split()[1:]


@contextlib.asynccontextmanager
async def switch_process(*extra: str) -> AsyncIterator[str]:
    proc, ready = await _spawn("-m", "bench.calls", "--switch-only", "--speed", str(SPEED), *extra)
    try:
        yield ready[0]
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def start_app(root: Path, ari_url: str, redis_url: str, tts: Path) -> Any:
    proc, ready = await _spawn(
        "-m", "tests.faults.app_proc", str(root), ari_url, redis_url, str(SPEED), str(tts)
    )
    assert ready[1] == "uvloop"  # as `ivr serve` runs (event_loop: auto, uvloop installed)
    return proc


def rows(db: Path) -> list[tuple[str, str | None, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        found = conn.execute("SELECT channel_id, ended_at, outcome FROM calls").fetchall()
    return [(str(c), e, o) for c, e, o in found]


MENU_CALLS, WAITING_CALLS = 20, 10
AGENTS = [AgentId(f"gen-{n}") for n in (1, 2, 3)]


async def transcript(http: aiohttp.ClientSession, url: str, call_id: str) -> dict[str, Any]:
    async with http.get(f"{url}/sandbox/calls/{call_id}") as resp:
        return dict(await resp.json())


def traces(db: Path, channel: str) -> list[tuple[int, str]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        found = conn.execute(
            "SELECT t.seq, t.kind FROM call_trace t JOIN calls c ON c.id = t.call_id "
            "WHERE c.channel_id = ? ORDER BY t.seq",
            (channel,),
        ).fetchall()
    return [(int(q), str(k)) for q, k in found]


@pytest.mark.timeout(300)
async def test_app_killed_with_calls_in_menu_waiting_and_bridged(
    tmp_path: Path, redis_server: str, tts_cache: Path
) -> None:
    store = RedisQueueStore.from_url(redis_server, load_queues(ROOT / "config" / "queues.yaml"))
    await store.client.flushdb()
    now = time.time()
    for n, agent in enumerate(AGENTS, start=1):
        profile = AgentProfile(agent, f"坐席{n}", f"PJSIP/800{n}", {"mandarin": 2, "general": 2})
        await store.add_agent(profile, now)
        await store.login(agent, now, ready=True)
    db = tmp_path / "ivr.db"
    async with (
        switch_process() as ari_url,
        aiohttp.ClientSession(headers=auth_header("bench", PASSWORD)) as http,
    ):

        async def place(steps: list[dict[str, Any]], caller: str) -> tuple[str, str]:
            scenario = {"dialed": "95555", "caller": caller, "steps": steps}
            async with http.post(f"{ari_url}/sandbox/calls", json=scenario) as resp:
                body = await resp.json()
                return str(body["channel_id"]), str(body["call_id"])

        async def channels() -> list[str]:
            async with http.get(f"{ari_url}/ari/channels") as resp:
                return [c["id"] for c in await resp.json()]

        async def states() -> list[AgentState | None]:
            found = [await store.get_agent(a) for a in AGENTS]
            return [None if a is None else a.state for a in found]

        async def queued(keys: list[str]) -> bool:
            return all([await store.get_call(CallKey(k)) is not None for k in keys])

        async def line() -> list[str]:
            return [str(c.call_id) for c in await store.waiting_calls(["general"])]

        app = await start_app(tmp_path, ari_url, redis_server, tts_cache)
        try:
            bridged = list(
                await asyncio.gather(*(place(TO_AGENT, f"13900000{n:03d}") for n in range(3)))
            )
            on_call = [AgentState.ON_CALL] * 3
            await until(lambda: _eq(states, on_call), timeout_s=90, what="3 agents on a call")
            waiting = list(
                await asyncio.gather(
                    *(place(TO_AGENT, f"13910000{n:03d}") for n in range(WAITING_CALLS))
                )
            )
            waiting_keys = [k for k, _c in waiting]
            await until(lambda: queued(waiting_keys), timeout_s=90, what="the callers waiting")
            in_line = await line()  # the order the store gave them
            assert sorted(in_line) == sorted(waiting_keys)
            menu = list(
                await asyncio.gather(
                    *(place(IN_MENU, f"13920000{n:03d}") for n in range(MENU_CALLS))
                )
            )
            keys = {k for k, _c in bridged + waiting + menu}
            await until(lambda: {r[0] for r in rows(db)} >= keys, timeout_s=60, what="rows")

            async def in_menus() -> bool:
                heard = [await transcript(http, ari_url, c) for _k, c in menu]
                return all(t["prompts"] for t in heard)

            await until(in_menus, timeout_s=60, what="every menu caller hearing a prompt")
            app.send_signal(signal.SIGKILL)
            await app.wait()
            assert set(await channels()) >= keys  # the switch kept the channels
            heard_before = {
                c: len((await transcript(http, ari_url, c))["prompts"]) for _k, c in menu + waiting
            }

            restarted = time.monotonic()
            app = await start_app(tmp_path, ari_url, redis_server, tts_cache)

            async def adopted() -> bool:  # held (owned) by the new process again
                owned = await store.client.smembers(f"{store.prefix}owned:futures-ivr")
                return keys <= {str(k) for k in owned}

            await until(adopted, timeout_s=30, what="every call adopted")
            assert await line() == in_line  # the same callers, in the same order

            async def apologised() -> bool:
                for _key, call_id in menu:
                    t = await transcript(http, ari_url, call_id)
                    texts = [prompt_text(tts_cache, p["media_uri"]) for p in t["prompts"]]
                    if APOLOGY["zh-CN"] not in texts[heard_before[call_id] :]:
                        return False
                return True

            await until(apologised, timeout_s=30, what="every menu caller told")

            async def held_again() -> bool:  # announcements (over hold music) from the new app
                for _key, call_id in waiting:
                    heard = (await transcript(http, ari_url, call_id))["prompts"]
                    if not heard[heard_before[call_id] :]:
                        return False
                return True

            await until(held_again, timeout_s=30, what="every waiting caller held again")
            assert await states() == on_call  # still talking: tracked, not hung up
            assert set(await channels()) >= keys
            for key, _c in bridged:  # the agents hang up: tracked to the end
                legs = [c for c in await channels() if c.startswith(f"agent-{key}-")]
                assert len(legs) == 1
                async with http.delete(f"{ari_url}/ari/channels/{legs[0]}") as resp:
                    assert resp.status == 204
            await until(lambda: _all_usable(states), timeout_s=10, what="every agent usable")
            assert time.monotonic() - restarted < 10 + 10  # start-up + the 10 s of the issue
            for key, _c in waiting + menu:  # every caller hangs up now
                async with http.delete(f"{ari_url}/ari/channels/{key}") as resp:
                    assert resp.status in (204, 404)
            await until(lambda: _none_of(channels, keys), timeout_s=30, what="no channel left")

            async def closed() -> bool:
                found = [r for r in rows(db) if r[0] in keys]
                return len(found) == len(keys) and all(e is not None for _c, e, _o in found)

            await until(closed, timeout_s=30, what="every row closed")
            found = [r for r in rows(db) if r[0] in keys]
            assert sorted(r[0] for r in found) == sorted(keys)  # each row once
            outcomes = {c: o for c, _e, o in found}
            assert {outcomes[k] for k, _c in bridged} == {"answered"}
            assert "lost" not in outcomes.values()
            for key in keys:
                seqs = [q for q, _k in traces(db, key)]
                assert seqs == list(range(1, len(seqs) + 1)), key  # trace goes on, no gap
                assert "adopted" in [k for _q, k in traces(db, key)]
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


async def _eq(read: Any, expected: Any) -> bool:
    return bool(await read() == expected)


async def _all_usable(read: Any) -> bool:
    return all(s in (AgentState.READY, AgentState.WRAP_UP) for s in await read())


async def _is(read: Any, state: AgentState) -> bool:
    return bool(await read() is state)


async def _usable(read: Any) -> bool:
    return bool(await read() in (AgentState.READY, AgentState.WRAP_UP))


async def _none_of(read: Any, keys: set[str]) -> bool:
    return not (set(await read()) & keys)
