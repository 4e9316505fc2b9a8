"""Outbound dialer benchmark: 1,000 queued margin notices dialled through the sandbox switch.

Rules: a benchmark, not a test: it reads the wall clock and prints figures. The sandbox switch
runs in a child process (real HTTP and websocket on 127.0.0.1); this process holds the ARI
client, SQLite in a temp dir and the real `OutboundDialer` with a concurrency limit. The
outside numbers follow the sandbox number plan (docs/dialer.md): nine in ten are busy or fail
at once, every tenth rings 2 s and is answered (the bench plays no flow: it reports `confirmed`
and hangs up after `--talk-s`). Pacing (`--cps`) is the binding limit, so its accuracy can be
measured; the concurrency limit (`--limit`) is checked never to be exceeded.

Figures: `cpu_ms_per_call` is this process's CPU (scheduler, SQL, ARI client and events, not
the switch) per leg; `max_concurrent`
counts legs alive at once in the switch's own event log; `pacing_error_pct` compares the rate
of originates with `--cps` (|achieved - target| / target). The LAST line printed is one JSON
object: {"calls", "cpu_ms_per_call", "max_concurrent", "pacing_error_pct"}.

    .venv/bin/python -m bench.dialer --calls 1000 --limit 10 --cps 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing as mp
import re
import tempfile
import time
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ivr import ari
from ivr.ari import AriEvents, AriRest
from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.outbound import dialer as dialer_module
from ivr.outbound.dialer import OutboundDialer
from ivr.outbound.escalation import AlertEscalation
from ivr.outbound.policy import KindPolicy, Window
from ivr.outbound.schedule import Pacing
from ivr.sandbox import SandboxConfig, SandboxSwitch
from ivr.store import CallStore
from ivr.store.outbound import NewCall, OutboundStore

APP = "bench-dialer"
LEG = re.compile(r"out-\d+-\d+")
START = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, in session
POLICY = KindPolicy("margin_notice", "margin_notice", "95555", Window("trading", 60), 1)
LAST_DIGITS = "2424524240"  # 90 % busy/failed at once, every tenth answered


def _number(i: int) -> str:
    return f"+86139{i:07d}"[:-1] + LAST_DIGITS[i % len(LAST_DIGITS)]


def _peak(switch: SandboxSwitch) -> int:
    alive: set[str] = set()
    peak = 0
    for event in switch.events():
        channel = event.get("channel") or event.get("peer") or {}
        leg = str(channel.get("id", ""))
        if not LEG.fullmatch(leg):
            continue
        if event["type"] == "ChannelDestroyed":
            alive.discard(leg)
        else:
            alive.add(leg)
            peak = max(peak, len(alive))
    return peak


class _Harness:
    """Stands in for the call router: answered legs say `confirmed` and hang up."""

    def __init__(self, dialer: OutboundDialer, rest: AriRest, talk_s: float) -> None:
        self.dialer, self.rest, self.talk_s = dialer, rest, talk_s
        self.tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: ari.AriEvent) -> None:
        if isinstance(event, ari.StasisStart) and event.args[:1] == ("outbound",):
            task = asyncio.create_task(self._talk(event.channel.id))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        else:
            self.dialer.on_unowned(event)

    async def _talk(self, leg: str) -> None:
        if self.dialer.answered(leg) is None:
            return
        await asyncio.sleep(self.talk_s)
        await self.dialer.report(leg, "confirmed", "1")
        await self.rest.hangup(ari.ChannelId(leg))
        await self.dialer.ended(leg, f"bench-{leg}")


def _time_core() -> list[float]:
    """Wrap the pure scheduler's decisions to add up their CPU time (seconds, in [0])."""
    spent = [0.0]
    for name in ("choose", "after_attempt"):
        pure = getattr(dialer_module, name)

        def timed(*args: object, _pure: Any = pure, **kwargs: object) -> object:
            t0 = time.thread_time()
            try:
                return _pure(*args, **kwargs)
            finally:
                spent[0] += time.thread_time() - t0

        setattr(dialer_module, name, timed)
    return spent


def _switch_process(conn: Connection) -> None:
    """The child: run the switch, send its URL, then its peak when asked, then stop."""

    async def serve() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            switch = SandboxSwitch(SandboxConfig(stasis_app=APP, recordings_dir=Path(tmp)))
            await switch.start()
            conn.send(switch.ari_url)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, conn.recv)
            conn.send(_peak(switch))
            await switch.stop()

    asyncio.run(serve())


async def run(calls: int, limit: int, cps: float, talk_s: float) -> dict[str, float | int]:
    parent, child = mp.Pipe()
    proc = mp.Process(target=_switch_process, args=(child,), daemon=True)
    proc.start()
    ari_url = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        store = await CallStore.open(f"sqlite+aiosqlite:///{tmp}/bench.db")
        rest = AriRest(ari_url, "asterisk", "asterisk", timeout_s=5)
        events = AriEvents(ari_url, "asterisk", "asterisk", APP)
        anchor, anchor_mono = START, time.monotonic()
        outbound = OutboundStore(store.engine)
        dialer = OutboundDialer(
            outbound, rest, app=APP, trunk_dial="PJSIP/{number}@carrier",
            pacing=Pacing(limit, cps), policies={"margin_notice": POLICY},
            calendar=DEFAULT_CALENDAR, escalation=AlertEscalation(None),
            wall=lambda: anchor + timedelta(seconds=time.monotonic() - anchor_mono),
            clock_sleep_s=lambda s: s,
        )  # fmt: skip
        harness = _Harness(dialer, rest, talk_s)
        consumer = asyncio.create_task(events.run(harness.on_event))
        await asyncio.wait_for(events.connected.wait(), 10)
        rows = [
            NewCall(i + 2, f"{i:08d}", _number(i), {"account_last4": "0000"}) for i in range(calls)
        ]
        campaign = await outbound.create_campaign(
            "margin_notice",
            "bench",
            "bench",
            rows,
            now=dialer.now(),
            now_s=dialer.now().timestamp(),
        )
        core = _time_core()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await dialer.start()
        while True:
            counts = (await outbound.status(campaign.id))[0].counts
            if not counts.get("queued") and not counts.get("dialing"):
                break
            await asyncio.sleep(0.2)
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
        await dialer.aclose()
        starts = dialer.started_at
        achieved = (len(starts) - 1) / (starts[-1] - starts[0]) if len(starts) > 1 else 0.0
        print(f"legs={len(starts)} wall_s={wall_s:.1f} achieved_cps={achieved:.2f} final={counts}")
        print(f"pure scheduler CPU per call: {core[0] * 1000 / max(1, len(starts)):.3f} ms")
        result = {
            "calls": len(starts),
            "cpu_ms_per_call": round(cpu_s * 1000 / max(1, len(starts)), 3),
            "max_concurrent": await _ask_peak(parent),
            "pacing_error_pct": round(abs(achieved - cps) / cps * 100, 2),
        }
        await events.close()
        consumer.cancel()
        await rest.close()
        await store.close()
        proc.join(timeout=10)
        return result


async def _ask_peak(conn: Connection) -> int:
    conn.send("peak")
    peak: int = await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=10, help="max concurrent outbound legs")
    parser.add_argument("--cps", type=float, default=20.0, help="target originates per second")
    parser.add_argument("--talk-s", type=float, default=0.5, help="how long an answered leg lasts")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    result = asyncio.run(run(args.calls, args.limit, args.cps, args.talk_s))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
