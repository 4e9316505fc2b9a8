"""Benchmark: N concurrent scenario calls through the sandbox switch over real sockets.

The switch runs in its own process (`--switch-only`) and places the calls itself (callers belong
to the telephone network); the app (ARI client, sessions, engine, SQLite records, Redis queues)
runs in this one, as in production. Each caller waits for the language menu, presses 1, presses
0 in the main menu, waits in the general queue (no agents) and hangs up. Measured:
- DTMF -> next ARI action: in the switch process, from the moment it sends a
  `ChannelDtmfReceived` to the first REST request about that call that follows it.
- answer -> first prompt: in the switch process, from the app's `answer` request of a call to
  its first `play` request (`first_prompt_p50_ms`, `first_prompt_p99_ms`); `--cold` starts the
  app on an empty prompt cache, so these include whatever rendering happens before a prompt
  can play.
- answer wait: from the switch's `StasisStart` of a call to the app's `answer`: how long a new
  call rang while the app admitted the calls before it (`calls.setup_concurrency`).
- CPU seconds per call and per event the app handled (events the switch delivered), and peak
  RSS of the app process (getrusage).
- the app's garbage-collector pauses while the calls run: the longest (`gc_pause_max_ms`) and
  how many full collections there were (`gc_full_collections`; each one walks every object of
  every call in progress).
The last line printed is one JSON object: calls, p50_ms, p99_ms, cpu_s_per_call,
cpu_ms_per_event, first_prompt_p50_ms, first_prompt_p99_ms, answer_wait_p50_ms,
answer_wait_p99_ms, gc_full_collections, gc_pause_max_ms, peak_mb. The switch hands its figures
over in a file (any size; a pipe line is limited to 64 KiB).

    .venv/bin/python -m bench.calls --calls 1000 --speed 10 [--ramp 5]

All calls are in progress together (each lasts ~6 s of wall time at speed 10); `--ramp` spreads
their arrivals, as real traffic is, instead of a synchronised burst. Both processes run on the
`--event-loop` chosen (uvloop by default, as `ivr serve`); the app settles its heap once
started, as `ivr serve` does (`ivr.app.loop.settle_heap`). The switch stands in for Asterisk,
which has no garbage collector: it runs with its collector off, as its own collections (full
ones of 75-160 ms, young ones of ~20 ms with a thousand calls) were measured as the app's
latency before 2026-12-05 22:00. Figures before 2026-12-05 18:00 had the callers' HTTP
client in the app's process and the switch on asyncio's loop.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
TUNABLE = (
    "IVR_CALLS_SETUP_CONCURRENCY",
    "IVR_ARI_MAX_CONNECTIONS",
    "IVR_CALLS_RECORD_BUFFER",
)  # taken from the environment
STEPS = [
    {"wait_for": "prompt_start", "timeout_s": 60},  # language menu (language first)
    {"press": "1"},
    {"wait_for": "prompt_start", "timeout_s": 60},  # welcome
    {"wait_for": "prompt_start", "timeout_s": 60},  # risk notice
    {"wait_for": "prompt_start", "timeout_s": 60},  # main menu
    {"wait": 1},
    {"press": "0"},  # main menu: an agent
    {"wait": 5},  # in the queue (music on hold)
    {"hangup": True},
]


# ---------------------------------------------------------------------- switch process


async def _switch_main(speed: float, report: Path, recordings: Path | None = None) -> None:
    from ivr.app.loop import settle_heap
    from ivr.sandbox import SandboxConfig, SandboxSwitch

    config = SandboxConfig(
        username="bench", password=PASSWORD, speed=speed, recordings_dir=recordings
    )  # without a recordings dir, `record` answers 500 (as Asterisk without its spool)
    switch = SandboxSwitch(config)
    dtmf_at: dict[str, float] = {}
    answered_at: dict[str, float] = {}
    entered_at: dict[str, float] = {}  # StasisStart sent, by channel
    answer_wait_ms: list[float] = []
    latencies_ms: list[float] = []
    first_prompt_ms: list[float] = []
    events = 0
    original_press = switch.press

    def press(channel: Any, digit: str, at_s: float | None = None) -> None:
        original_press(channel, digit, at_s)
        dtmf_at[channel.id] = time.perf_counter()

    class Requests(list[Any]):
        def append(self, record: Any) -> None:
            super().append(record)
            now = time.perf_counter()
            parts = record.path.split("/")  # /channels/{id}/answer, /playbacks/{id}-pb-2
            if len(parts) > 2 and parts[1] in ("channels", "playbacks"):
                about = parts[2].partition("-")[0]  # the app names playbacks after the call
                if about in dtmf_at:
                    latencies_ms.append((now - dtmf_at.pop(about)) * 1000)
            if len(parts) > 3 and parts[1] == "channels":
                if parts[3] == "answer":
                    answered_at[parts[2]] = now
                    if parts[2] in entered_at:
                        answer_wait_ms.append((now - entered_at.pop(parts[2])) * 1000)
                elif parts[3] == "play" and parts[2] in answered_at:
                    first_prompt_ms.append((now - answered_at.pop(parts[2])) * 1000)

    def count(event: Any) -> None:
        nonlocal events
        events += 1
        if event["type"] == "StasisStart":
            entered_at[event["channel"]["id"]] = time.perf_counter()

    switch.press = press  # type: ignore[method-assign]
    switch.requests = Requests()
    switch.hub.listeners.append(count)
    await switch.start()
    settle_heap()
    gc.disable()  # it stands in for Asterisk (no collector): its pauses are not the app's
    print(f"READY {switch.ari_url}", flush=True)
    while (line := await asyncio.to_thread(sys.stdin.readline)).split()[:1] == ["place"]:
        _, n, ramp_s = line.split()
        handled = await _place_all(switch, int(n), float(ramp_s))
        print(f"PLACED {handled}", flush=True)
    figures = {
        "latencies_ms": latencies_ms,
        "first_prompt_ms": first_prompt_ms,
        "answer_wait_ms": answer_wait_ms,
        "events": events,
        "cpu_s": time.process_time(),
    }
    await asyncio.to_thread(report.write_text, json.dumps(figures))
    print("DONE", flush=True)
    await switch.stop()


async def _place_all(switch: Any, n: int, ramp_s: float) -> int:
    """Place `n` scenario calls (arrivals spread over `ramp_s` wall seconds) and wait for their
    ends; how many the caller hung up as the script says. The callers belong to the telephone
    network, so they run here, in the switch process, not in the app's."""
    from ivr.sandbox.scenario import scenario_from_dict

    async def one(i: int) -> bool:
        await asyncio.sleep(ramp_s * i / max(1, n))
        data = {"dialed": "95555", "caller": f"1390000{i:04d}", "steps": STEPS}
        call = await switch.place_call(scenario_from_dict(data, source="<bench>"))
        transcript = await call.finished(600.0)
        return bool(call.done) and transcript.ended_by == "caller"

    return sum(await asyncio.gather(*(one(i) for i in range(n))))


# ---------------------------------------------------------------------- app process


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _GcPauses:
    """The cyclic collector's pauses of the app while the calls run: the longest, and how many
    were full (oldest generation) collections."""

    def __init__(self) -> None:
        self.full = 0
        self.max_ms = 0.0
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.max_ms = max(self.max_ms, (time.perf_counter() - self._started) * 1000)
        self.full += info["generation"] == 2

    def __enter__(self) -> _GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


async def _place(proc: Any, n: int, ramp_s: float) -> int:
    """Have the switch place `n` calls; how many ended as scripted (once all have ended)."""
    proc.stdin.write(f"place {n} {ramp_s}\n".encode())
    await proc.stdin.drain()
    line = (await proc.stdout.readline()).decode().split()
    assert line[:1] == ["PLACED"], f"the switch process said {line!r}"
    return int(line[1])


async def _bench(calls: int, speed: float, ramp_s: float, cold: bool) -> dict[str, Any]:

    from ivr.app import App
    from ivr.app.loop import loop_name, settle_heap
    from ivr.clock import Clock
    from ivr.settings import load_settings

    work = tempfile.TemporaryDirectory()
    report = Path(work.name) / "switch.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.calls", "--switch-only", "--speed", str(speed),
        "--report", str(report), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdin is not None
    ari_url = (await proc.stdout.readline()).decode().split()[1]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "tts-cache" if cold else ROOT / "var" / "tts-cache"
        env = {
            "IVR_ARI_URL": ari_url,
            "IVR_ARI_USERNAME": "bench",
            "IVR_ARI_PASSWORD": PASSWORD,
            "IVR_HTTP_PORT": "0",
            "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/ivr.db",
            "IVR_TTS_CACHE": str(cache),
            "IVR_FLOWS_DIR": str(ROOT / "flows"),
            "IVR_CONFIG_DIR": str(ROOT / "config"),
            "IVR_LOG_LEVEL": "WARNING",
        }
        for name in TUNABLE:  # try other values: e.g. IVR_CALLS_SETUP_CONCURRENCY=8
            if name in os.environ:
                env[name] = os.environ[name]
        settings = load_settings(ROOT / "config" / "settings.yaml", env)
        monday = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        app = await App.start(settings, Path(tmp), clock=Clock(speed=speed, fixed_now=monday))
        settle_heap()  # as `ivr serve` does once the app is up
        try:
            if not cold:
                await _place(proc, 1, 0.0)  # warm-up: renders the prompts
            cpu0, wall0 = time.process_time(), time.perf_counter()
            with _GcPauses() as gc_pauses:
                handled = await _place(proc, calls, ramp_s)
            cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
        finally:
            await app.stop()
    proc.stdin.write(b"stop\n")
    await proc.stdin.drain()
    assert (await proc.stdout.readline()).strip() == b"DONE"
    switch = json.loads(report.read_text())
    await proc.wait()
    work.cleanup()
    warm_up = 0 if cold else 2  # the warm-up call's two key presses and its first prompt
    latencies = switch["latencies_ms"][warm_up:]
    first_prompt = switch["first_prompt_ms"][0 if cold else 1 :]
    answer_wait = switch["answer_wait_ms"][0 if cold else 1 :]
    events = max(1, switch["events"])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "calls": handled,
        "concurrent": calls,
        "speed": speed,
        "ramp_s": ramp_s,
        "wall_s": round(wall_s, 2),
        "dtmf_samples": len(latencies),
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "cpu_s_per_call": round(cpu_s / max(1, calls), 4),
        "cpu_ms_per_event": round(cpu_s * 1000 / events, 3),
        "first_prompt_p50_ms": round(_percentile(first_prompt, 0.50), 2),
        "first_prompt_p99_ms": round(_percentile(first_prompt, 0.99), 2),
        "answer_wait_p50_ms": round(_percentile(answer_wait, 0.50), 2),
        "answer_wait_p99_ms": round(_percentile(answer_wait, 0.99), 2),
        "cold": cold,
        "event_loop": loop_name(asyncio.get_running_loop()),
        "switch_cpu_s": round(switch["cpu_s"], 2),
        "gc_full_collections": gc_pauses.full,
        "gc_pause_max_ms": round(gc_pauses.max_ms, 1),
        "peak_mb": round(peak_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument(
        "--ramp", type=float, default=0.0, help="wall seconds over which calls arrive"
    )
    parser.add_argument(
        "--cold", action="store_true", help="start on an empty prompt cache, no warm-up call"
    )
    parser.add_argument(
        "--event-loop", default="auto", choices=("auto", "uvloop", "asyncio"),
        help="the app's event loop (as the event_loop setting of ivr serve)",
    )  # fmt: skip
    parser.add_argument("--switch-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--recordings", type=Path, help=argparse.SUPPRESS)  # the switch's spool
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.switch_only:
        from ivr.app.loop import run as run_loop

        run_loop(args.event_loop, _switch_main(args.speed, args.report, args.recordings))
        return
    from ivr.app.loop import run

    result = run(args.event_loop, _bench(args.calls, args.speed, args.ramp, args.cold))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
