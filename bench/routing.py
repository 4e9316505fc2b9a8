"""Routing benchmark: K app processes reserve agents for N waiting calls on one Redis.

Rules: a benchmark, not a test: it reads the wall clock and prints figures. It starts its own
redis-server (AOF on, unix socket, temp dir) unless `--redis-url` is given, fills a unique key
prefix with N waiting calls (5 % vip) and M ready agents, then runs K worker processes, each
routing in passes until no call waits:
- `--router store` (default): each worker loops `RedisQueueStore.route()` over every call
  (fresh facts -> pure `policy.pick` -> ONE atomic Lua reservation for the whole batch); a
  pair another worker took first simply loses.
- `--router app`: each worker is an app instance's router (`ivr.queue.dialer.Router`, what
  `ivr serve` runs): it holds every K-th call and reserves only the pairs of its own calls.
Each batch of won offers is then served in one script (`--serve`): `light` (default) stands
for the agent's call with the least routing needs (the call leaves, the agent is ready again,
with its event), so the figures measure the router, not the harness; `full` runs the store's
own answer, end-of-call and ready scripts for each offer. Afterwards it replays the event
stream and counts double bookings (an agent offered a call while still holding one, or a call
offered twice): must be 0.

The LAST line printed is one JSON object: decisions_per_s, p50_ms, p99_ms (latency of one
router pass: reaper, snapshot, decision and reservation), double_bookings, the parameters, and
the CPU used per decision by the workers and by redis-server (`decisions_per_cpu_s`: what one
otherwise idle core could route; unlike the wall-clock figures it holds on a shared machine).

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
from importlib import resources
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from ivr.clock import Clock
from ivr.queue.dialer import Router
from queueing.config import PriorityClass, QueueConfig, load_queues
from queueing.model import AgentProfile, Offer
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore, day_of

ROOT = Path(__file__).resolve().parent.parent
QUEUES = ROOT / "config" / "queues.yaml"
LIMIT_PER_CLASS = 50  # waiting calls read per class and queue by each pass (as the app)
IDLE_S = 0.0005  # a worker that won nothing looks again this much later (the app: on an event)


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


SERVED_SCRIPTS = ("answer", "end_call", "agent_state")

LIGHT_SERVE = """
-- ARGV: prefix, now, maxlen, day, handle_times_kept, then (call_id, agent_id) pairs.
local out = {}
for i = 6, #ARGV, 2 do
  local c, a = ARGV[i], ARGV[i + 1]
  redis.call('ZREM', K_OFFERS, c)
  redis.call('DEL', kcall(c))
  redis.call('HSET', kagent(a), 'call_id', '', 'last_call_end_s', num(NOW))
  agent_state(a, 'ready', '')
  out[#out + 1] = 'ok'
end
return out
"""

FULL_SERVE = """
local out = {}
local base = {ARGV[1], ARGV[2], ARGV[3]}
for i = 6, #ARGV, 2 do
  local c, a = ARGV[i], ARGV[i + 1]
  out[#out + 1] = served_answer({base[1], base[2], base[3], c, a, ARGV[4]})
  out[#out + 1] = served_end_call({base[1], base[2], base[3], c, ARGV[5]})
  out[#out + 1] = served_agent_state({base[1], base[2], base[3], a, 'ready', ''})
end
return out
"""


def serve_script(mode: str) -> str:
    """One Lua script that serves a batch of won offers, on the store's `lib.lua`.

    `full`: each of `answer.lua`, `end_call.lua` and `agent_state.lua` becomes a local function
    whose parameter is named ARGV, so its body runs unchanged on the arguments it would get
    from `store.answer`, `store.end_call` and `store.set_ready`. `light`: the call leaves and
    the agent is ready again (the lib's `agent_state`, so the event stream stays whole).
    Returns 'ok' per reply.
    """
    lua = resources.files("queueing") / "lua"
    parts = [(lua / "lib.lua").read_text(encoding="utf-8")]
    if mode == "full":
        for name in SERVED_SCRIPTS:
            body = (lua / f"{name}.lua").read_text(encoding="utf-8")
            parts.append(f"local function served_{name}(ARGV)\n{body}\nend")
    parts.append(FULL_SERVE if mode == "full" else LIGHT_SERVE)
    return "\n".join(parts)


async def serve(store: RedisQueueStore, script: AsyncScript, offers: list[Offer]) -> None:
    """What happens once each agent picks up, for the whole batch in ONE round trip (the
    app answers calls one by one, seconds apart; here the harness would otherwise cost more
    than the routing it measures)."""
    now = time.time()
    args: list[str | float | int] = [store.prefix, repr(now), store.events_maxlen]
    args += [day_of(now, store.day_zone), store.handle_times_kept]
    for o in offers:
        args += [o.call_id, o.agent_id]
    replies = await script(keys=[store.key("events")], args=args)
    if any(reply not in (b"ok", "ok") for reply in replies):
        raise SystemExit(f"serving offers failed: {replies}")


async def work(
    url: str, config: QueueConfig, prefix: str, index: int, workers: int, calls: int, how: str
) -> tuple[int, list[float], float]:
    """One worker: routes until every call is served. Returns (offers won, latency of each
    routing pass in ms, CPU seconds used). `how` is `router/serve` (see `main`)."""
    router_kind, mode = how.split("/")
    store = RedisQueueStore.from_url(url, config, prefix=prefix, events_maxlen=10_000_000)
    script = store.client.register_script(serve_script(mode))
    waiting = store.key("q", "general", "since")
    # --router app: an app instance's `Router`, holding calls index, index + K, ...
    wanting = {f"c{i:06d}": "general" for i in range(index, calls, workers)}
    won: list[Offer] = []

    async def offered(offer: Offer) -> None:
        won.append(offer)
        del wanting[str(offer.call_id)]

    async def reaped(key: str) -> None:  # never with the deadlines here: back in line
        wanting[key] = "general"

    router = Router(store, Clock(), wanting=wanting, offered=offered, reaped=reaped)
    served, latencies_ms = 0, []
    cpu_start = time.process_time()
    try:
        while True:
            start = time.perf_counter()
            if router_kind == "app":
                await router.route_once()
            else:  # --router store: every call; a pair another worker took first loses
                won = await store.route(time.time(), limit_per_class=LIMIT_PER_CLASS)
            latencies_ms.append((time.perf_counter() - start) * 1000)
            if won:
                served += len(won)
                await serve(store, script, won)
                won.clear()
            elif not (wanting if router_kind == "app" else await store.client.zcard(waiting)):
                break
            else:  # every free agent is held or went to another worker's call
                await asyncio.sleep(IDLE_S)
    finally:
        await store.close()
    return served, latencies_ms, time.process_time() - cpu_start


def worker(url: str, prefix: str, barrier: Barrier, results: Any, *args: Any) -> None:
    config = load_queues(QUEUES)
    barrier.wait()
    results.put(asyncio.run(work(url, config, prefix, *args)))


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


async def redis_cpu(url: str) -> float:
    """CPU seconds the redis-server has used so far (INFO cpu: system + user)."""
    client = aioredis.Redis.from_url(url)
    try:
        info = await client.info("cpu")
    finally:
        await client.aclose()
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


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


def run(url: str, calls: int, agents: int, workers: int, router: str, mode: str) -> dict[str, Any]:
    config = load_queues(QUEUES)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    asyncio.run(fill(url, config, prefix, calls, agents))
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(url, prefix, barrier, results, n, workers, calls, f"{router}/{mode}"),
        )
        for n in range(workers)
    ]
    for proc in procs:
        proc.start()
    redis_cpu_s = asyncio.run(redis_cpu(url))
    barrier.wait()
    start = time.perf_counter()
    outcomes = [results.get() for _ in procs]
    elapsed_s = time.perf_counter() - start
    redis_cpu_s = asyncio.run(redis_cpu(url)) - redis_cpu_s
    for proc in procs:
        proc.join()
    latencies = sorted(ms for _, lat, _ in outcomes for ms in lat)
    decisions = sum(won for won, _, _ in outcomes)
    workers_cpu_s = sum(cpu for _, _, cpu in outcomes)
    doubles, offered = asyncio.run(double_bookings(url, config, prefix))
    per_decision_us = 1e6 * (workers_cpu_s + redis_cpu_s) / decisions
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
        "router": router,
        "serve": mode,
        "elapsed_s": round(elapsed_s, 3),
        # CPU per decision (the machine may be shared: this part does not depend on it)
        "workers_cpu_us_per_decision": round(1e6 * workers_cpu_s / decisions, 1),
        "redis_cpu_us_per_decision": round(1e6 * redis_cpu_s / decisions, 1),
        "decisions_per_cpu_s": round(1e6 / per_decision_us, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis-url", default=None, help="use this Redis instead of a fresh one")
    parser.add_argument(
        "--router",
        choices=("store", "app"),
        default="store",
        help="store: each worker loops RedisQueueStore.route() over every call; app: each"
        " worker is an app instance's Router, reserving only the calls it holds",
    )
    parser.add_argument(
        "--serve",
        choices=("light", "full"),
        default="light",
        help="how a won offer is served: light (the call leaves, the agent is ready) or full"
        " (the store's answer, end-of-call and ready scripts)",
    )
    args = parser.parse_args()
    options = {"calls": args.calls, "agents": args.agents, "workers": args.workers}
    options |= {"router": args.router, "mode": args.serve}
    if args.redis_url:
        figures = run(url=args.redis_url, **options)
    else:
        with redis_server() as url:
            figures = run(url=url, **options)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
