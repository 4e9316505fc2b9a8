"""The app in a process of its own, for fault tests that kill it (`kill -9`) and start it again.

    python -m tests.faults.app_proc ROOT ARI_URL REDIS_URL SPEED TTS_CACHE

Like `ivr serve` against a switch running elsewhere (`bench.calls --switch-only`), on the same
event loop (`event_loop: auto`: uvloop where installed) and heap settling, with the test clock
(Monday 10:00 Shanghai, business hours, at SPEED) so the flows route as in the other call
tests. Prints `READY <http url> <event loop>` once the events websocket is connected; runs
until killed or SIGTERM (then stops cleanly).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from bench.calls import PASSWORD
from ivr.app import App
from ivr.app.loop import loop_name, run, settle_heap
from ivr.clock import Clock
from ivr.log import setup_logging
from ivr.settings import Settings, load_settings
from tests.integration.call.conftest import MONDAY_10AM

ROOT = Path(__file__).resolve().parents[2]


def settings_for(root: Path, ari_url: str, redis_url: str, tts: Path) -> Settings:
    env = {
        "IVR_ARI_URL": ari_url,
        "IVR_ARI_USERNAME": "bench",
        "IVR_ARI_PASSWORD": PASSWORD,
        "IVR_HTTP_PORT": "0",
        "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{root}/ivr.db",
        "IVR_REDIS_URL": redis_url,
        "IVR_TTS_CACHE": str(tts),
        "IVR_RECORDINGS_DIR": str(root / "recordings"),
        "IVR_FLOWS_DIR": str(ROOT / "flows"),
        "IVR_CONFIG_DIR": str(ROOT / "config"),
        "IVR_LOG_LEVEL": "INFO",
    }
    return load_settings(ROOT / "config" / "settings.yaml", env)


async def main(root: Path, settings: Settings, speed: float) -> None:
    setup_logging(settings.log_level)
    app = await App.start(settings, root, clock=Clock(speed=speed, fixed_now=MONDAY_10AM))
    settle_heap()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    sys.stdout.write(f"READY {app.http_url} {loop_name(asyncio.get_running_loop())}\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await app.stop()


if __name__ == "__main__":
    root, ari_url, redis_url, speed, tts = sys.argv[1:6]
    settings = settings_for(Path(root), ari_url, redis_url, Path(tts))
    run(settings.event_loop, main(Path(root), settings, float(speed)))
