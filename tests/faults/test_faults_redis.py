"""Redis failing under the app: callers take the flow's own fallback, `/healthz` says so, the
state is back once Redis restarts on its AOF (the callers waiting in their order, routed in it);
the local redis-server is one per data dir and restarted when it dies.

Real sockets throughout: the sandbox switch, a real `redis-server` of this module's own (so it
can be killed), SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from ivr.app import App
from ivr.queue.local_redis import stale_pid, start_local_redis
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox.model import Bridge, BridgeId
from queueing.model import AgentProfile, QueueCallState
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.conftest import AppFactory, app_factory, tts_cache  # noqa: F401
from tests.integration.call.driver import CallDriver

ROOT = Path(__file__).resolve().parents[2]
IVR = str(Path(sys.executable).parent / "ivr")  # the console script
DESK = "Local/desk@agents"
WAITING = 3  # callers waiting in the english queue when Redis dies
LOGIN = "12345678#,123456"  # sample account 12345678 and its trading PIN


class RedisProcess:
    """A redis-server (AOF on) on a unix socket in `workdir`, killed and restarted at will."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.sock = workdir / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        assert exe is not None, "redis-server is not installed: run scripts/bootstrap"
        self.sock.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--unixsocket", str(self.sock), "--unixsocketperm", "700",
             "--dir", str(self.workdir), "--appendonly", "yes", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.sock.exists():
            assert self.proc.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start in 10 s"
            time.sleep(0.01)  # process start-up, not a test wait

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def redis_proc(tmp_path: Path) -> Iterator[RedisProcess]:
    workdir = tmp_path / "own-redis"
    workdir.mkdir()
    redis = RedisProcess(workdir)
    redis.start()
    yield redis
    if redis.proc is not None and redis.proc.poll() is None:
        redis.kill()


@pytest.fixture
def redis_server(redis_proc: RedisProcess) -> str:
    """Overrides the session's Redis: the apps of this module use one the test can kill."""
    return f"unix://{redis_proc.sock}"


async def healthz(app: App) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"{app.http_url}/healthz") as resp:
        return resp.status, await resp.json()


async def _metrics(app: App) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{app.http_url}/metrics") as resp:
        return await resp.text()


def _answers(app: App, code: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await healthz(app))[0] == code

    return check


async def test_redis_down_callers_take_the_flows_fallback_and_healthz_says_so(
    app_factory: AppFactory,  # noqa: F811
    redis_proc: RedisProcess,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.outage")
    async with app_factory(speed=10.0) as app:  # the english queue's 300 s max wait: 30 s
        assert await healthz(app) == (200, {"status": "ok", "active_calls": 0})
        await app.queue_store.client.config_set("appendfsync", "always")  # no loss at kill -9
        waiting = [await CallDriver.dial(app, caller=f"1390000000{n}") for n in range(WAITING)]
        # each waits in the english queue (no agent logged in); the store gives their order
        await asyncio.gather(*(caller.run("2,0") for caller in waiting))

        async def all_queued() -> bool:
            return len(await app.queue_store.waiting_calls(["english"])) == WAITING

        await until(all_queued, what="every caller waiting")
        line = [str(c.call_id) for c in await app.queue_store.waiting_calls(["english"])]
        assert sorted(line) == sorted(c.channel_id for c in waiting)
        redis_proc.kill()
        await until(_answers(app, 503), what="redis seen down")
        status, body = await healthz(app)
        assert (status, body["status"], body["failing"]) == (503, "degraded", ["redis"])
        exposed = await _metrics(app)
        assert 'ivr_dependency_up{dependency="redis"} 0.0' in exposed
        assert 'ivr_dependency_up{dependency="ari"} 1.0' in exposed

        driver = await CallDriver.dial(app)
        await driver.run("2,0")  # English, then an agent: the english queue
        await driver.waiting_for_input()  # its on_overflow: busy_offer, a menu
        session = driver.session
        assert session.state is not None
        assert session.state.node == "busy_offer"
        busy = "Sorry, all our agents are busy."
        stem = app.renderer.cache_path(
            busy + " To book a callback press 1, to leave a message 2, or star for the main menu.",
            "en",
        ).stem
        await until(lambda: any(stem in m for m in driver.call.transcript.heard), what="busy")
        driver.hang_up()
        await driver.ended()
        assert session.live == {"timers": 0, "playbacks": 0, "work": 0, "queued": 0}
        assert session.state.path[-2:] == ("english_queue", "busy_offer")

        redis_proc.start()  # same dir, same AOF
        await until(_answers(app, 200), what="redis seen up")
        assert await healthz(app) == (200, {"status": "ok", "active_calls": WAITING})
        for caller in waiting:  # from the AOF
            back = await app.queue_store.get_call(CallKey(caller.channel_id))
            assert back is not None
            assert back.queue == "english"
            assert caller.session.state is not None
            assert caller.session.state.phase == "queued"  # still waiting, on music on hold
        after = [str(c.call_id) for c in await app.queue_store.waiting_calls(["english"])]
        assert after == line  # the same callers, in their order
        store, now = app.queue_store, app.clock.now_s()
        agent = AgentProfile(AgentId("en-1"), "Emma", "PJSIP/8001", {"english": 2})
        await store.add_agent(agent, now)
        await store.login(agent.agent_id, now, ready=True)

        async def first_taken() -> bool:
            record = await store.get_call(CallKey(line[0]))
            return record is not None and record.state is not QueueCallState.WAITING

        await until(first_taken, timeout_s=20, what="the first in line offered to the agent")
        for later in line[1:]:  # the others still wait behind it
            record = await store.get_call(CallKey(later))
            assert record is not None
            assert record.state is QueueCallState.WAITING
        for caller in waiting:
            caller.hang_up()
            await caller.ended()

        def router_lines() -> list[str]:
            lines = [r.getMessage() for r in caplog.records if r.name == "ivr.outage"]
            return [line for line in lines if line.startswith("queue router:")]

        await until(lambda: len(router_lines()) == 2, timeout_s=20, what="the router recovered")
        assert "retrying with backoff" in router_lines()[0]  # one warning when it started
        assert "recovered after" in router_lines()[1]  # one line when it ended
        assert not [r for r in caplog.records if r.exc_info]  # no tracebacks


async def test_redis_down_emergency_caller_reaches_the_desk_ring_group(
    app_factory: AppFactory,  # noqa: F811
    redis_proc: RedisProcess,
) -> None:
    async with app_factory(IVR_CALLS_DESK_FALLBACK_DIAL=DESK) as app:
        switch = app.switch
        assert switch is not None
        redis_proc.kill()
        await until(_answers(app, 503), what="redis seen down")
        driver = await CallDriver.dial(app, dialed="95556", caller="13800000009")
        await driver.run(
            "1," + LOGIN
        )  # 1: Mandarin first  # verified: the trading desk queue, priority emergency
        bridge_id = BridgeId(f"br-{driver.channel_id}")

        def joined() -> Bridge | None:
            bridge = switch.bridges.get(bridge_id)
            return bridge if bridge is not None and len(bridge.channels) == 2 else None

        bridge = await until(joined, what="caller and desk in one bridge")
        assert driver.channel_id in bridge.channels
        assert len(bridge.channels) == 2
        desk = switch.channel(next(c for c in bridge.channels if c != driver.channel_id))
        assert desk.name.startswith(DESK)  # the configured dial string, originated into Stasis
        session = driver.session
        await until(lambda: session.outcome == "answered", what="answered by the desk")
        assert session.state is not None
        assert session.state.path[-1] == "desk"
        assert session.recordings.recording_call  # the whole call is still recorded
        driver.hang_up()
        await driver.ended()
        assert isinstance(app.handoff, RedisQueueHandoff)
        handoff = app.handoff
        await until(lambda: handoff.live["calls"] == 0 and handoff.live["legs"] == 0, what="gone")
        assert bridge_id not in switch.bridges


async def test_redis_down_desk_busy_emergency_caller_takes_order_capture(
    app_factory: AppFactory,  # noqa: F811
    redis_proc: RedisProcess,
) -> None:
    async with app_factory(IVR_CALLS_DESK_FALLBACK_DIAL="PJSIP/8003") as app:  # busy
        redis_proc.kill()
        await until(_answers(app, 503), what="redis seen down")
        driver = await CallDriver.dial(app, dialed="95556", caller="13800000009")
        await driver.run("1," + LOGIN)  # 1: Mandarin first
        session = driver.session
        await until(
            lambda: session.state is not None and "order_intro" in session.state.path,
            what="the desk's on_timeout: order capture",
        )
        assert session.state is not None
        assert session.state.path[session.state.path.index("desk") + 1] == "order_intro"
        driver.hang_up()
        await driver.ended()
        assert isinstance(app.handoff, RedisQueueHandoff)
        assert app.handoff.live["calls"] == 0


async def test_local_redis_one_per_dir_stale_ended_and_restarted(tmp_path: Path) -> None:
    data = tmp_path / "redis"
    first = await start_local_redis(data)
    assert first.process is not None
    crashed_pid = first.process.pid
    # An app that died by SIGKILL: its lock is gone, its redis-server still runs.
    assert first._supervisor is not None
    first._supervisor.cancel()  # its supervision dies with the app
    first._lock.close()  # and the kernel drops its lock
    assert stale_pid(data.resolve()) == crashed_pid

    second = await start_local_redis(data)
    try:
        assert second.process is not None
        assert second.process.pid != crashed_pid
        await until(lambda: first.process is not None and first.process.returncode is not None,
                    what="the stale server ended")  # fmt: skip
        assert _redis_servers_in(data.resolve()) == [second.process.pid]

        os.kill(second.process.pid, signal.SIGKILL)  # dies while the app runs
        await until(lambda: second.restarts == 1, timeout_s=10, what="restarted")
        await until(lambda: second.socket_path.exists(), what="socket back")
        restarted = second.process
        assert restarted is not None
        # a fork of the killed server (an AOF rewrite) may outlive it for a moment
        await until(lambda: _redis_servers_in(data.resolve()) == [restarted.pid], what="one")
    finally:
        await second.stop()
        _end_all(data.resolve())  # a failed run leaves nothing behind
    assert _redis_servers_in(data.resolve()) == []


def _end_all(data_dir: Path) -> list[int]:
    """SIGKILL what `_redis_servers_in(data_dir)` finds (test clean-up); the pids it found."""
    found = _redis_servers_in(data_dir)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return found


def _redis_servers_in(data_dir: Path) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (
                Path(os.readlink(proc / "cwd")) == data_dir
                and "redis" in os.readlink(proc / "exe")
                and not (proc / "stat").read_text().split(") ", 1)[1].startswith("Z")
            ):
                found.append(int(proc.name))
        except (OSError, IndexError):
            continue
    return sorted(found)


async def _serve(workdir: Path, cache: Path) -> asyncio.subprocess.Process:
    """`ivr serve` on embedded defaults (sandbox switch, local Redis) in `workdir`, started."""
    env = {
        **os.environ,
        "IVR_HTTP_PORT": "0",
        "IVR_TTS_CACHE": str(cache),
        "IVR_FLOWS_DIR": str(ROOT / "flows"),
        "IVR_CONFIG_DIR": str(ROOT / "config"),
        "IVR_PROMPT_ROOT": str(ROOT / "prompts"),
    }
    env.pop("IVR_REDIS_URL", None)
    env.pop("IVR_DATABASE_URL", None)
    state = workdir / "var" / "sandbox.json"
    state.unlink(missing_ok=True)
    process = await asyncio.create_subprocess_exec(
        IVR, "serve", env=env, cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await until(
            lambda: state.exists() or process.returncode is not None, timeout_s=60, what="serving"
        )
    except BaseException:
        process.kill()
        raise
    assert process.returncode is None, "ivr serve exited"
    return process


async def test_serve_killed_and_started_again_runs_exactly_one_local_redis(
    tmp_path: Path,
    tts_cache: Path,  # noqa: F811
) -> None:
    data = (tmp_path / "var" / "redis").resolve()
    try:
        await _kill_and_start_again(tmp_path, data, tts_cache)
    finally:
        _end_all(data)


async def _kill_and_start_again(tmp_path: Path, data: Path, cache: Path) -> None:
    first = await _serve(tmp_path, cache)
    [orphan] = _redis_servers_in(data)
    first.kill()  # SIGKILL: no clean-up; its redis-server is left running, parent gone
    await first.wait()
    assert _redis_servers_in(data) == [orphan]
    second = await _serve(tmp_path, cache)
    try:
        servers = _redis_servers_in(data)
        assert len(servers) == 1
        assert servers != [orphan]
    finally:
        second.terminate()
        async with asyncio.timeout(30):
            await second.wait()
    assert second.returncode == 0
    await until(lambda: _redis_servers_in(data) == [], what="its redis-server stopped")
