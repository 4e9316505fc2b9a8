"""Soak benchmark: many calls one after another, and whether the app's memory stays flat.

The sandbox switch runs in its own process; the app (one or more instances, each with its own
ARI app name, sharing Redis and one SQLite file) in this one. Calls are placed `--concurrency`
at a time until `--calls` have ended; each caller picks Mandarin, hears the greeting and the
main menu, and hangs up. Measured: the app process's resident memory (RSS, from /proc) after the
first `--warm` calls, after every `--warm` calls more and at the end, and whether every call
has its SQL row.
The LAST line printed is one JSON object: calls, instances, rss_mb_warm, rss_mb_end,
growth_pct (target: within 10 %), rss_mb_every_warm, records_missing (target: 0), wall_s.

    .venv/bin/python -m bench.soak --calls 20000 --speed 20
    .venv/bin/python -m bench.soak --calls 2000 --speed 20 --instances 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "soak-password"
STEPS = [
    {"wait_for": "prompt_start", "timeout_s": 60},  # language menu
    {"press": "1"},
    {"wait_for": "prompt_start", "timeout_s": 60},  # welcome
    {"wait_for": "prompt_start", "timeout_s": 60},  # risk notice
    {"wait_for": "prompt_start", "timeout_s": 60},  # main menu
    {"wait": 1},
    {"hangup": True},
]


def rss_mb() -> float:
    """Resident memory of this process now (not the peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _switch_main(speed: float, apps: tuple[str, ...]) -> None:
    from ivr.sandbox import SandboxConfig, SandboxSwitch

    config = SandboxConfig(username="soak", password=PASSWORD, speed=speed, stasis_apps=apps)
    switch = SandboxSwitch(config)
    await switch.start()
    print(f"READY {switch.ari_url}", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await switch.stop()


async def _calls(ari_url: str, http: Any, first: int, n: int, concurrency: int) -> int:
    """Place `n` calls, `concurrency` at a time; how many ended as scripted (by the caller)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> bool:
        async with gate:
            scenario = {"dialed": "95555", "caller": f"139{i:08d}", "steps": STEPS}
            async with http.post(f"{ari_url}/sandbox/calls", json=scenario) as resp:
                call_id = (await resp.json())["call_id"]
            url = f"{ari_url}/sandbox/calls/{call_id}"
            async with http.get(url, params={"wait": "600"}) as r:
                body = await r.json()
            return bool(body.get("finished")) and body.get("ended_by") == "caller"

    return sum(await asyncio.gather(*(one(first + i) for i in range(n))))


async def _soak(calls: int, warm: int, speed: float, instances: int, conc: int) -> dict[str, Any]:
    import aiohttp

    from ivr.app import App
    from ivr.app.loop import settle_heap
    from ivr.ari._http import auth_header
    from ivr.clock import Clock
    from ivr.settings import load_settings

    apps_names = tuple(f"soak-{n}" for n in range(instances))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.soak", "--switch-only", "--speed", str(speed),
        "--apps", ",".join(apps_names), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdin is not None
    ari_url = (await proc.stdout.readline()).decode().split()[1]
    monday = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with tempfile.TemporaryDirectory() as tmp:
        apps = []
        for name in apps_names:
            env = {
                "IVR_ARI_URL": ari_url, "IVR_ARI_USERNAME": "soak", "IVR_ARI_PASSWORD": PASSWORD,
                "IVR_ARI_APP": name, "IVR_HTTP_PORT": "0",
                "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/ivr.db",
                "IVR_TTS_CACHE": str(ROOT / "var" / "tts-cache"), "IVR_LOG_LEVEL": "WARNING",
                "IVR_FLOWS_DIR": str(ROOT / "flows"), "IVR_CONFIG_DIR": str(ROOT / "config"),
                "IVR_DIALER_ENABLED": "false",
            }  # fmt: skip
            settings = load_settings(ROOT / "config" / "settings.yaml", env)
            root = Path(tmp) / name
            apps.append(await App.start(settings, root, clock=Clock(speed=speed, fixed_now=monday)))
        settle_heap()  # as `ivr serve` does once it has started
        headers = auth_header("soak", PASSWORD)
        started = time.perf_counter()
        try:
            async with aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=None)
            ) as http:
                ended = await _calls(ari_url, http, 0, warm, conc)
                rss_warm = rss_mb()
                samples = [round(rss_warm, 1)]  # after the warm-up, then every `warm` calls
                placed = warm
                while placed < calls:
                    n = min(warm, calls - placed)
                    ended += await _calls(ari_url, http, placed, n, conc)
                    placed += n
                    samples.append(round(rss_mb(), 1))
                for app in apps:
                    await app.call_records.flush()
                rss_end = rss_mb()
        finally:
            for app in apps:
                await app.stop()
        with sqlite3.connect(f"{tmp}/ivr.db") as db:
            rows = db.execute("SELECT count(*) FROM calls WHERE ended_at IS NOT NULL").fetchone()
    proc.stdin.write(b"stop\n")
    await proc.stdin.drain()
    await proc.wait()
    return {
        "calls": calls,
        "ended_by_caller": ended,
        "instances": instances,
        "rss_mb_warm": round(rss_warm, 1),
        "rss_mb_end": round(rss_end, 1),
        "growth_pct": round(100 * (rss_end - rss_warm) / rss_warm, 1),
        "rss_mb_every_warm": samples,
        "records_missing": calls - int(rows[0]),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--warm", type=int, default=2_000, help="calls before the first sample")
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=50, help="calls in progress at once")
    parser.add_argument("--switch-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--apps", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.switch_only:
        asyncio.run(_switch_main(args.speed, tuple(args.apps.split(","))))
        return
    warm = min(args.warm, args.calls)
    from ivr.app.loop import run  # the event loop `ivr serve` runs on (uvloop where installed)

    result = run("auto", _soak(args.calls, warm, args.speed, args.instances, args.concurrency))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
