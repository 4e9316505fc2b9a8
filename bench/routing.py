"""Routing benchmark: K app processes reserve agents for N waiting calls on one Redis.

Rules: a benchmark, not a test: it reads the wall clock and prints figures. It starts its own
redis-server (AOF on, unix socket, temp dir) unless `--redis-url` is given, fills a unique key
prefix with N waiting calls (5 % vip) and M ready agents, then runs K worker processes that
loop `RedisQueueStore.route()` (fresh facts -> pure `policy.pick` -> one atomic Lua
reservation) and serve each won offer (answer, end, ready again) until no call waits.
Afterwards it replays the event stream and counts double bookings (an agent offered a call
while still holding one, or a call offered twice): must be 0.

The LAST line printed is one JSON object: decisions_per_s, p50_ms, p99_ms (latency of one
route() call: snapshot, decision and reservation), double_bookings, and the parameters.

    .venv/bin/python -m bench.routing --calls 20000 --agents 50 --workers 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from queueing.config import PriorityClass, QueueConfig, load_queues
from queueing.model import AgentProfile, Offer
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore, day_of

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ROOT / "config" / "queues.yaml"


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server with AOF on; yields its unix:// URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed (apt install redis-server)")
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir:
        sock = Path(workdir) / "redis.sock"
        args = ["--port", "0", "--unixsocket", str(sock), "--dir", workdir]
        args += ["--appendonly", "yes", "--save", ""]
        proc = subprocess.Popen([exe, *args], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("redis-server did not start within 10 s")
            time.sleep(0.01)
        try:
            yield f"unix://{sock}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


async def fill(url: str, config: QueueConfig, prefix: str, calls: int, agents: int) -> None:
    store = RedisQueueStore.from_url(url, config, prefix=prefix, events_maxlen=10_000_000)
    now = time.time()
    try:
        for i in range(agents):
            profile = AgentProfile(
                AgentId(f"a{i:03d}"),
                f"Agent {i}",
                f"PJSIP/{8000 + i}",
                {"mandarin": 1, "general": 2},
            )
            await store.add_agent(profile, now)
            await store.login(profile.agent_id, now, ready=True)
        for i in range(calls):
            priority = PriorityClass.VIP if i % 20 == 0 else PriorityClass.NORMAL
            await store.enqueue(CallKey(f"c{i:06d}"), "general", priority, now + i * 1e-4)
    finally:
        await store.close()


async def serve(store: RedisQueueStore, offers: list[Offer]) -> None:
    """What the app does once each agent picks up: answer, hang up, ready again.

    The same Lua scripts as `store.answer`, `store.end_call` and `store.set_ready`, sent in one
    pipeline: on this sandbox one socket round trip costs ~0.4 ms of CPU, which would
    otherwise dwarf the routing being measured (the app answers calls one by one, seconds
    apart, so it has no such need).
    """
    now = time.time()
    base: list[str | float | int] = [store.prefix, repr(now), store.events_maxlen]
    events, day = [store.key("events")], day_of(now, store.day_zone)
    scripts = store._scripts  # bench-only access to the registered scripts
    async with store.client.pipeline(transaction=False) as pipe:
        for o in offers:
            await scripts["answer"](events, [*base, o.call_id, o.agent_id, day], client=pipe)
            await scripts["end_call"](events, [*base, o.call_id, 50], client=pipe)
            await scripts["agent_state"](events, [*base, o.agent_id, "ready", ""], client=pipe)
        replies = await pipe.execute()
    if any(reply != "ok" for reply in replies):
        raise SystemExit(f"serving offers failed: {replies}")


async def work(url: str, config: QueueConfig, prefix: str) -> tuple[int, list[float]]:
    store = RedisQueueStore.from_url(url, config, prefix=prefix, events_maxlen=10_000_000)
    won, latencies_ms = 0, []
    try:
        while True:
            start = time.perf_counter()
            offers = await store.route(time.time(), limit_per_class=64)
            latencies_ms.append((time.perf_counter() - start) * 1000)
            if offers:
                won += len(offers)
                await serve(store, offers)
            elif await store.client.zcard(store.key("q", "general", "since")) == 0:
                return won, latencies_ms
            else:  # every agent is held by another worker: the app would wait for an event
                await asyncio.sleep(0.001)
    finally:
        await store.close()


def worker(url: str, prefix: str, barrier: Barrier, results: Any) -> None:
    config = load_queues(QUEUES)
    barrier.wait()
    results.put(asyncio.run(work(url, config, prefix)))


async def double_bookings(url: str, config: QueueConfig, prefix: str) -> tuple[int, int]:
    """Replay the event stream: (double bookings, calls offered)."""
    store = RedisQueueStore.from_url(url, config, prefix=prefix)
    holding: dict[str, str] = {}
    offered: set[str] = set()
    doubles, after = 0, "0"
    try:
        while events := await store.events(after=after, count=10_000):
            for event in events:
                agent, call = event.fields.get("agent_id", ""), event.fields.get("call_id", "")
                if event.type == "call_offered":
                    doubles += agent in holding or call in offered
                    holding[agent] = call
                    offered.add(call)
                elif event.type == "agent_state" and event.fields["state"] in ("ready", "wrap_up"):
                    holding.pop(agent, None)
            after = events[-1].event_id
    finally:
        await store.close()
    return doubles, len(offered)


async def round_trip_ms(url: str, pings: int = 200) -> float:
    """Median PING time: the floor under every Redis call on this machine."""
    client = aioredis.Redis.from_url(url)
    times = []
    try:
        for _ in range(pings):
            start = time.perf_counter()
            await client.ping()
            times.append((time.perf_counter() - start) * 1000)
    finally:
        await client.aclose()
    return statistics.median(times)


def run(url: str, calls: int, agents: int, workers: int) -> dict[str, Any]:
    config = load_queues(QUEUES)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    asyncio.run(fill(url, config, prefix, calls, agents))
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [
        ctx.Process(target=worker, args=(url, prefix, barrier, results)) for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    outcomes = [results.get() for _ in procs]
    elapsed_s = time.perf_counter() - start
    for proc in procs:
        proc.join()
    latencies = sorted(ms for _, lat in outcomes for ms in lat)
    decisions = sum(won for won, _ in outcomes)
    doubles, offered = asyncio.run(double_bookings(url, config, prefix))
    return {
        "decisions_per_s": round(decisions / elapsed_s, 1),
        "reservations_per_s": round(decisions / elapsed_s, 1),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        "double_bookings": doubles,
        "redis_ping_ms": round(asyncio.run(round_trip_ms(url)), 3),
        "decisions": decisions,
        "calls_offered": offered,
        "route_calls": len(latencies),
        "calls": calls,
        "agents": agents,
        "workers": workers,
        "elapsed_s": round(elapsed_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of a fresh one")
    args = parser.parse_args()
    if args.redis_url:
        figures = run(args.redis_url, args.calls, args.agents, args.workers)
    else:
        with redis_server() as url:
            figures = run(url, args.calls, args.agents, args.workers)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
