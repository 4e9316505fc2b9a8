"""A Redis restart with AOF on keeps every waiting call, agent and pending offer; a store meets
a restarted Redis still loading its dataset and waits for it (bounded), instead of failing.

The loading state is real and deterministic: a redis-server started on a dump of 1000 keys
with `key-load-delay` (microseconds per key) loads for a second or more, and with
`loading-process-events-interval-bytes 1024` it answers clients `-LOADING` meanwhile (every
couple of keys: the dump is written uncompressed, 500-byte values)."""

from __future__ import annotations

import asyncio
import shutil
from asyncio.subprocess import DEVNULL, Process
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError

from queueing.config import PriorityClass, load_queues
from queueing.errors import StoreUnavailable
from queueing.model import AgentProfile, AgentState, QueueCallState
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore
from tests.helpers import until

ROOT = Path(__file__).resolve().parents[3]
CONFIG = load_queues(ROOT / "config" / "queues.yaml")
T0 = 1_764_000_000.0


@asynccontextmanager
async def redis_on(
    workdir: Path, stop: Callable[[Process], None], *extra: str, aof: bool = True
) -> AsyncIterator[str]:
    """A redis-server on `workdir`, with AOF (fsync always) unless `aof` is False (then it
    loads `dump.rdb`); `stop` ends it (term or kill); `extra` are more config arguments."""
    sock = workdir / "redis.sock"
    sock.unlink(missing_ok=True)
    exe = shutil.which("redis-server")
    assert exe is not None
    args = ["--port", "0", "--unixsocket", str(sock), "--dir", str(workdir), "--save", ""]
    args += ["--appendonly", "yes", "--appendfsync", "always"] if aof else ["--appendonly", "no"]
    args += extra
    proc = await asyncio.create_subprocess_exec(exe, *args, stdout=DEVNULL, stderr=DEVNULL)
    try:
        await until(lambda: accepts(sock), timeout_s=10, what="redis-server socket")
        yield f"unix://{sock}"
    finally:
        stop(proc)
        async with asyncio.timeout(10):
            await proc.wait()


async def accepts(sock: Path) -> bool:
    """Whether `sock` takes connections (the file appears at bind, before listen)."""
    try:
        _, writer = await asyncio.open_unix_connection(str(sock))
    except (FileNotFoundError, ConnectionRefusedError):
        return False
    writer.close()
    await writer.wait_closed()
    return True


def crash(proc: Process) -> None:
    proc.kill()  # SIGKILL: no shutdown hook, only the fsynced AOF survives


def terminate(proc: Process) -> None:
    proc.terminate()


# It once failed one run in three on a fresh machine (a restarted Redis still loading): it runs
# 30 times in a row in every suite run, so a relapse shows at once.
@pytest.mark.parametrize("run", range(30))
async def test_redis_crash_and_restart_on_same_dir_keeps_state(tmp_path: Path, run: int) -> None:
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


LOADING_KEYS = 1000


def loading_slowly(key_delay_us: int) -> tuple[str, ...]:
    """Config of a redis-server that loads each key of its dump in `key_delay_us` and answers
    clients (`-LOADING`) every 1 KiB of the dump meanwhile."""
    return (
        "--key-load-delay", str(key_delay_us), "--loading-process-events-interval-bytes", "1024",
    )  # fmt: skip


async def save_dump(workdir: Path, prefix: str) -> None:
    """`dump.rdb` in `workdir`: LOADING_KEYS filler keys and one ready agent `d1`."""
    async with redis_on(workdir, terminate, "--rdbcompression", "no", aof=False) as url:
        store = RedisQueueStore.from_url(url, CONFIG, prefix=prefix)
        try:
            profile = AgentProfile(
                AgentId("d1"), "Desk", "PJSIP/8001", {"general": 3, "mandarin": 1}
            )
            await store.add_agent(profile, T0)
            await store.login(AgentId("d1"), T0, ready=True)
            async with store.client.pipeline(transaction=False) as pipe:
                for i in range(LOADING_KEYS):
                    pipe.set(f"filler:{i}", "x" * 500)  # uncompressed: ~2 keys per KiB read
                await pipe.execute()
            await store.client.save()
        finally:
            await store.close()


async def is_loading(url: str) -> bool:
    """Whether Redis answers a plain client (no retries) with `-LOADING`."""
    client = aioredis.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
    try:
        await client.ping()
    except BusyLoadingError:
        return True
    finally:
        await client.aclose()
    return False


async def test_a_store_waits_for_a_restarted_redis_to_finish_loading(tmp_path: Path) -> None:
    prefix = "ivr:"
    await save_dump(tmp_path, prefix)
    async with redis_on(tmp_path, terminate, *loading_slowly(1000), aof=False) as url:
        assert await is_loading(url)
        store = RedisQueueStore.from_url(url, CONFIG, prefix=prefix)
        try:
            agent, agents, waiting, _ = await asyncio.gather(
                store.get_agent(AgentId("d1")),  # one command
                store.list_agents(),  # a command, then a pipeline
                store.enqueue(CallKey("c1"), "general", PriorityClass.NORMAL, T0 + 1),  # Lua
                store.add_agent(AgentProfile(AgentId("d2"), "D2", "PJSIP/8002", {}), T0 + 1),
            )
            assert not await is_loading(url)
            assert agent is not None
            assert (agent.agent_id, agent.state) == ("d1", AgentState.READY)
            assert agents[0].agent_id == "d1"  # d2 too if its add ran first
            assert waiting.call_id == "c1"
            assert [a.agent_id for a in await store.list_agents()] == ["d1", "d2"]
            [offer] = await store.route(T0 + 2)
            assert (offer.call_id, offer.agent_id) == ("c1", "d1")
        finally:
            await store.close()


async def test_a_redis_still_loading_past_the_deadline_is_unavailable(tmp_path: Path) -> None:
    prefix = "ivr:"
    await save_dump(tmp_path, prefix)
    async with redis_on(tmp_path, crash, *loading_slowly(3000), aof=False) as url:
        assert await is_loading(url)
        store = RedisQueueStore.from_url(url, CONFIG, prefix=prefix, loading_wait_s=0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            with pytest.raises(
                StoreUnavailable,
                match=r"^queue store: get_agent failed: Redis is loading the dataset in memory$",
            ):
                await store.get_agent(AgentId("d1"))
            assert loop.time() - started >= 0.2  # it waited, then gave up
            assert await is_loading(url)  # ... while Redis was indeed still loading
        finally:
            await store.close()


async def test_the_first_command_after_a_restart_does_not_fail_on_a_stale_connection(
    tmp_path: Path,
) -> None:
    """The pooled connection still points at the killed server: taken from the pool, it is
    found closed and connected again (redis-py's check at checkout); the command runs once."""
    prefix = "ivr:"
    async with redis_on(tmp_path, crash) as url:
        store = RedisQueueStore.from_url(url, CONFIG, prefix=prefix)
        await store.add_agent(AgentProfile(AgentId("d1"), "Desk", "PJSIP/8001", {}), T0)
        await store.login(AgentId("d1"), T0, ready=True)
    try:
        async with redis_on(tmp_path, terminate):  # same dir, same socket path, same AOF
            agent = await store.get_agent(AgentId("d1"))
            assert agent is not None
            assert agent.state is AgentState.READY
    finally:
        await store.close()
