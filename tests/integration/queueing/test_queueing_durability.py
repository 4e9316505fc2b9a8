"""A Redis restart with AOF on keeps every waiting call, agent and pending offer."""

from __future__ import annotations

import asyncio
import shutil
from asyncio.subprocess import DEVNULL, Process
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from queueing.config import PriorityClass, load_queues
from queueing.model import AgentProfile, AgentState, QueueCallState
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore
from tests.helpers import until

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_queues(ROOT / "config" / "queues.yaml")
T0 = 1_764_000_000.0


@asynccontextmanager
async def redis_on(workdir: Path, stop: Callable[[Process], None]) -> AsyncIterator[str]:
    """A redis-server with AOF (fsync always) on `workdir`; `stop` ends it (term or kill)."""
    sock = workdir / "redis.sock"
    sock.unlink(missing_ok=True)
    exe = shutil.which("redis-server")
    assert exe is not None
    args = ["--port", "0", "--unixsocket", str(sock), "--dir", str(workdir)]
    args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    proc = await asyncio.create_subprocess_exec(exe, *args, stdout=DEVNULL, stderr=DEVNULL)
    try:
        await until(sock.exists, timeout_s=10, what="redis-server socket")
        yield f"unix://{sock}"
    finally:
        stop(proc)
        async with asyncio.timeout(10):
            await proc.wait()


def crash(proc: Process) -> None:
    proc.kill()  # SIGKILL: no shutdown hook, only the fsynced AOF survives


def terminate(proc: Process) -> None:
    proc.terminate()


async def test_redis_crash_and_restart_on_same_dir_keeps_state(tmp_path: Path) -> None:
    prefix = "ivr:"
    async with redis_on(tmp_path, crash) as url:
        store = RedisQueueStore.from_url(url, CONFIG, prefix=prefix)
        await store.add_agent(
            AgentProfile(AgentId("d1"), "Desk", "PJSIP/8001", {"emergency_order": 3}), T0
        )
        await store.login(AgentId("d1"), T0, ready=True)
        for i in range(5):
            await store.enqueue(CallKey(f"n{i}"), "general", PriorityClass.NORMAL, T0 + i)
        await store.enqueue(CallKey("e1"), "trading_desk", PriorityClass.EMERGENCY, T0 + 9)
        [offer] = await store.route(T0 + 10)
        await store.close()
    async with redis_on(tmp_path, terminate) as url:
        store = RedisQueueStore.from_url(url, CONFIG, prefix=prefix)
        try:
            waiting = [c.call_id for c in await store.waiting_calls()]
            assert waiting == ["n0", "n1", "n2", "n3", "n4"]
            agent = await store.get_agent(AgentId("d1"))
            assert agent is not None
            assert (agent.state, agent.call_id) == (AgentState.RESERVED, "e1")
            record = await store.get_call(offer.call_id)
            assert record is not None
            assert (record.state, record.enqueued_at_s) == (QueueCallState.OFFERED, T0 + 9)
            assert (await store.reap(T0 + 20)).released == (CallKey("e1"),)
            types = [e.type for e in await store.events()]
            assert types.count("call_queued") == 6
        finally:
            await store.close()
