"""SQL faults: the call-record database refuses writes, the app dies with records in its journal.

Whole calls run through the app and the sandbox switch (real sockets, real redis-server, a
real SQLite file). Afterwards every call row and every trace entry is present exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from unittest.mock import ANY

import aiohttp
import pytest

from ivr.app import App
from ivr.engine.commands import TraceEntry
from tests.faults.sql_calls import rows, run_calls, sqlite_locked
from tests.helpers import until
from tests.integration.call.conftest import AppFactory, app_factory, tts_cache  # noqa: F401
from tests.integration.call.driver import CallDriver

ROOT = Path(__file__).resolve().parents[2]
CALLS = 50
LOCK_S = 10.0


def spy_traces(app: App) -> dict[str, list[str]]:
    """The trace entries each call reported (node names, in order), seen at the writer's door."""
    writer = app.call_records
    reported: dict[str, list[str]] = {}
    original = writer.trace

    def trace(key: str, entries: Iterable[TraceEntry]) -> None:
        entries = list(entries)
        if (call_id := writer.call_id(key)) is not None:
            reported.setdefault(call_id, []).extend(e.node for e in entries)
        original(key, entries)

    writer.trace = trace  # type: ignore[method-assign]
    return reported


async def healthz(app: App) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"{app.http_url}/healthz") as resp:
        return resp.status, await resp.json()


async def metrics_text(app: App) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{app.http_url}/metrics") as resp:
        return await resp.text()


def assert_each_call_once(db: Path, channels: list[str], reported: dict[str, list[str]]) -> None:
    """One closed row per channel, and every trace entry reported stored once, in order."""
    calls, traces = rows(db)
    assert sorted(channel for _, channel, _ in calls) == sorted(channels)
    assert all(outcome is not None for _, _, outcome in calls)
    assert sorted(reported) == sorted(call_id for call_id, _, _ in calls)
    for call_id, _, _ in calls:
        assert len(reported[call_id]) >= 2
        assert [node for _, node in traces[call_id]] == reported[call_id]
        assert [seq for seq, _ in traces[call_id]] == list(range(1, len(reported[call_id]) + 1))


async def test_sqlite_locked_for_10s_during_50_calls_loses_nothing(
    app_factory: AppFactory,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.call.records")
    db = tmp_path / "ivr.db"
    async with app_factory(IVR_CALLS_RECORD_BUFFER="50") as app:
        reported = spy_traces(app)
        loop = asyncio.get_running_loop()
        with sqlite_locked(db):
            locked_at = loop.time()
            calls = asyncio.create_task(run_calls(app, CALLS))
            await until(lambda: app.call_records.journaled > 0, timeout_s=60, what="a spill")

            async def degraded() -> bool:  # once a write has waited out the busy timeout
                return (await healthz(app))[0] == 503

            await until(degraded, timeout_s=LOCK_S, what="/healthz 503")
            assert await healthz(app) == (
                503, {"status": "degraded", "failing": ["database"], "active_calls": ANY}
            )  # fmt: skip
            assert 'ivr_dependency_up{dependency="database"} 0.0' in await metrics_text(app)
            channels = await calls
            await until(lambda: loop.time() - locked_at >= LOCK_S, timeout_s=LOCK_S + 5)
            assert app.call_records.written == 0  # nothing got through the lock
        async with asyncio.timeout(30):
            await app.call_records.flush()
        assert_each_call_once(db, channels, reported)
        assert app.call_records.journaled == 0
        assert await healthz(app) == (200, {"status": "ok", "active_calls": 0})
        assert 'ivr_dependency_up{dependency="database"} 1.0' in await metrics_text(app)
        assert (tmp_path / "var" / "journal" / "calls.jsonl").stat().st_size == 0
    messages = [r.getMessage() for r in caplog.records]
    assert sum("database unavailable" in m for m in messages) == 1
    assert sum("database back" in m for m in messages) == 1
    assert "Traceback" not in caplog.text
    assert "no call row" not in caplog.text


CHILD = """
import asyncio, sys
from pathlib import Path
from ivr.app import App
from ivr.clock import Clock
from ivr.settings import load_settings
from tests.faults.sql_calls import run_calls
from tests.helpers import until
from tests.integration.call.conftest import MONDAY_10AM, ROOT, SPEED

async def main(tmp: Path, calls: int) -> None:
    import os
    settings = load_settings(ROOT / "config" / "settings.yaml", os.environ)
    app = await App.start(settings, tmp, clock=Clock(speed=SPEED, fixed_now=MONDAY_10AM))
    await app.queue_store.client.flushdb()
    print("up", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # the parent has locked the database
    channels = await run_calls(app, calls)
    # every report is in the journal or in memory: wait for the journal to hold some, then die
    await until(lambda: app.call_records.journaled > 0, timeout_s=60)
    print(" ".join(channels), flush=True)
    await asyncio.Event().wait()

asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
"""


async def test_app_killed_with_rows_in_the_journal_replays_them_at_next_start(
    app_factory: AppFactory,  # noqa: F811
    tmp_path: Path,
    redis_server: str,
    tts_cache: Path,  # noqa: F811
) -> None:
    db = tmp_path / "ivr.db"
    journal = tmp_path / "var" / "journal" / "calls.jsonl"
    async with app_factory():
        pass  # migrate the schema, as a first start does
    env = {
        **os.environ,
        "IVR_HTTP_PORT": "0",
        "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "IVR_REDIS_URL": redis_server,
        "IVR_TTS_CACHE": str(tts_cache),
        "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "IVR_SANDBOX_SPEED": "50",
        "IVR_FLOWS_DIR": str(ROOT / "flows"),
        "IVR_CONFIG_DIR": str(ROOT / "config"),
        "IVR_CALLS_RECORD_BUFFER": "20",
    }
    with (tmp_path / "child.log").open("wb") as child_log:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, str(tmp_path), "20", cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=child_log,
        )  # fmt: skip
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        async with asyncio.timeout(120):
            assert await child.stdout.readline() == b"up\n"
            with sqlite_locked(db):
                child.stdin.write(b"go\n")
                line = await child.stdout.readline()
                child.send_signal(signal.SIGKILL)  # the app dies with rows in its journal
                await child.wait()
                journaled = [json.loads(x) for x in journal.read_text().splitlines() if x]
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode == -signal.SIGKILL
    channels = line.decode().split()
    assert len(channels) == 20
    started = {r["call_id"] for r in journaled if r["kind"] == "start"}
    assert started  # the killed app left rows in its journal
    assert rows(db)[0] == []

    async with app_factory() as app:  # the next start replays the journal
        async with asyncio.timeout(30):
            await app.call_records.flush()
        assert journal.stat().st_size == 0
        reclaimed = set(app.services.recovery.reclaimed)  # its calls the dead app still owned
    calls, traces = rows(db)
    ids = [call_id for call_id, _, _ in calls]
    assert sorted(ids) == sorted(started)  # each journaled call once, nothing invented
    expected: dict[str, list[int]] = {}
    for r in journaled:
        if r["kind"] == "trace":
            first = r["first_seq"]
            expected.setdefault(r["call_id"], []).extend(range(first, first + len(r["entries"])))
    assert {cid: [seq for seq, _ in t] for cid, t in traces.items()} == expected
    whole = {r["call_id"]: r["outcome"] for r in journaled if r["kind"] == "ended"}
    outcomes = {call_id: outcome for call_id, _, outcome in calls}
    assert {cid: outcomes[cid] for cid in whole} == whole  # a journaled end is kept as it was
    # a call whose end died with the app is closed `lost` by the recovery, after the replay;
    # one the dead app no longer owned (its lane had ended) keeps an open row
    lost = {call_id for call_id, channel, _ in calls if channel in reclaimed}
    assert {cid for cid, o in outcomes.items() if cid not in whole and o is not None} == (
        lost - set(whole)
    )
    assert all(outcomes[cid] == "lost" for cid in lost - set(whole))


async def test_an_sql_error_opening_a_recording_never_drops_the_caller(
    app_factory: AppFactory,  # noqa: F811
    tmp_path: Path,
) -> None:
    async with app_factory() as app:
        switch = app.switch
        assert switch is not None
        with contextlib.closing(sqlite3.connect(tmp_path / "ivr.db")) as con:
            con.execute(
                "ALTER TABLE recordings RENAME TO recordings_gone"
            )  # every index write fails
        driver = await CallDriver.dial(app)
        await driver.run("1,4,1")  # Mandarin, complaints, a complaint: a `record` node
        record = f"/channels/{driver.channel_id}/record"

        def recorded() -> bool:
            return any(r.method == "POST" and r.path == record for r in switch.requests)

        await until(recorded, timeout_s=30, what="the complaint recorded all the same")
        session = driver.session
        assert session.state is not None
        assert session.state.node == "complaint_record"
        assert driver.channel_id in app.sessions  # still there, recording: not dropped
        driver.hang_up()
        await driver.ended()
        assert session.outcome != "error"
