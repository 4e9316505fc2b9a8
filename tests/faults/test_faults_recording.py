"""Fault case 1 on the recorded line: the app killed with `kill -9` while an emergency caller's
whole-call recording runs, then started again.

Over real sockets, as `test_faults_recovery`: the sandbox switch in its own process (its
channels and recordings outlive the app), the app in another, a real redis-server, SQLite.
What must hold: the caller is adopted (told, the flow again) and still recorded; the part the
dead process left open is sealed; the new process records the next part (never a second part
1), over the same span; at the end every part is sealed, none left open. A caller who hung up
while the app was down is reclaimed (row closed `lost`) and the part left open is sealed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.calls import PASSWORD
from ivr.ari._http import auth_header
from queueing.config import load_queues
from queueing.store import RedisQueueStore
from tests.faults.test_faults_recovery import ROOT, rows, start_app, switch_process, transcript
from tests.helpers import until
from tests.integration.call.conftest import tts_cache

__all__ = ["tts_cache"]

STEPS: list[dict[str, Any]] = [{"wait_for": "prompt_start", "timeout_s": 60}, {"wait": 600}]


def parts(db: Path) -> list[tuple[str, str, str | None]]:
    """(name, status, covers_from) of every recording, by name."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        found = conn.execute(
            "SELECT name, status, covers_from FROM recordings ORDER BY name"
        ).fetchall()
    return [(str(n), str(s), c) for n, s, c in found]


@pytest.mark.timeout(240)
async def test_app_killed_while_an_emergency_call_is_recorded(
    tmp_path: Path, redis_server: str, tts_cache: Path
) -> None:
    store = RedisQueueStore.from_url(redis_server, load_queues(ROOT / "config" / "queues.yaml"))
    await store.client.flushdb()
    db = tmp_path / "ivr.db"
    spool = tmp_path / "spool"  # the switch's recordings (Asterisk's spool)
    spool.mkdir()
    async with (
        switch_process("--recordings", str(spool)) as ari_url,
        aiohttp.ClientSession(headers=auth_header("bench", PASSWORD)) as http,
    ):
        app = await start_app(tmp_path, ari_url, redis_server, tts_cache)
        try:
            scenario = {"dialed": "95556", "caller": "13800000009", "steps": STEPS}
            async with http.post(f"{ari_url}/sandbox/calls", json=scenario) as resp:
                body = await resp.json()
            key, call_id = str(body["channel_id"]), str(body["call_id"])

            def recording() -> bool:
                return bool(db.exists() and [p for p in parts(db) if p[1] == "recording"])

            await until(recording, timeout_s=60, what="part 1 recording")
            await until(lambda: key in [r[0] for r in rows(db)], timeout_s=30, what="its row")
            [(first, _s, covers_from)] = parts(db)
            assert first.endswith("-1")
            heard = len((await transcript(http, ari_url, call_id))["prompts"])
            app.send_signal(signal.SIGKILL)
            await app.wait()

            app = await start_app(tmp_path, ari_url, redis_server, tts_cache)

            async def told() -> bool:  # the apology and the flow again
                return len((await transcript(http, ari_url, call_id))["prompts"]) > heard

            await until(told, timeout_s=30, what="the caller adopted")
            second = first[: -len("-1")] + "-2"
            await until(lambda: (first, "sealed", covers_from) in parts(db),
                        timeout_s=30, what="the dead process's part sealed")  # fmt: skip
            await until(lambda: (second, "recording", covers_from) in parts(db),
                        timeout_s=30, what="the next part recording, same span")  # fmt: skip
            async with http.delete(f"{ari_url}/ari/channels/{key}") as resp:
                assert resp.status == 204  # the caller hangs up
            await until(lambda: [p[1] for p in parts(db)] == ["sealed", "sealed"],
                        timeout_s=30, what="every part sealed")  # fmt: skip
            assert [p[0] for p in parts(db)] == [first, second]
        finally:
            with contextlib.suppress(ProcessLookupError):
                app.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    await app.wait()
            with contextlib.suppress(ProcessLookupError):
                app.kill()
            await store.close()


@pytest.mark.timeout(240)
async def test_caller_gone_while_the_app_was_down_the_open_part_is_sealed(
    tmp_path: Path, redis_server: str, tts_cache: Path
) -> None:
    store = RedisQueueStore.from_url(redis_server, load_queues(ROOT / "config" / "queues.yaml"))
    await store.client.flushdb()
    db = tmp_path / "ivr.db"
    spool = tmp_path / "spool"
    spool.mkdir()
    async with (
        switch_process("--recordings", str(spool)) as ari_url,
        aiohttp.ClientSession(headers=auth_header("bench", PASSWORD)) as http,
    ):
        app = await start_app(tmp_path, ari_url, redis_server, tts_cache)
        try:
            scenario = {"dialed": "95556", "caller": "13800000009", "steps": STEPS}
            async with http.post(f"{ari_url}/sandbox/calls", json=scenario) as resp:
                key = str((await resp.json())["channel_id"])

            def recording() -> bool:
                return bool(db.exists() and [p for p in parts(db) if p[1] == "recording"])

            await until(recording, timeout_s=60, what="part 1 recording")
            await until(lambda: key in [r[0] for r in rows(db)], timeout_s=30, what="its row")
            app.send_signal(signal.SIGKILL)
            await app.wait()
            async with http.delete(f"{ari_url}/ari/channels/{key}") as resp:
                assert resp.status == 204  # the caller gives up while the app is down
            [(first, status, _c)] = parts(db)
            assert status == "recording"

            app = await start_app(tmp_path, ari_url, redis_server, tts_cache)
            await until(lambda: [p[1] for p in parts(db)] == ["sealed"],
                        timeout_s=30, what="the part left open sealed")  # fmt: skip
            assert [p[0] for p in parts(db)] == [first]
            assert [(c, o) for c, e, o in rows(db) if e is not None] == [(key, "lost")]
        finally:
            with contextlib.suppress(ProcessLookupError):
                app.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    await app.wait()
            with contextlib.suppress(ProcessLookupError):
                app.kill()
            await store.close()
