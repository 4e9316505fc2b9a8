"""Fixtures: a whole app (sandbox switch at speed 50, real redis-server, SQLite, clock fixed at
a Monday 10:00 and advancing at the switch's speed) with test dialer policies: short retries."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.app import App
from ivr.clock import Clock
from ivr.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]
MONDAY_10AM = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SPEED = 50.0
TEST_POLICIES = """
kinds:
  margin_notice:
    flow: margin_notice
    caller_id: "95555"
    window: trading
    lead_min: 60
    max_attempts: 3
    retry_after_s: {busy: 20, no_answer: 40, failed: 60, no_confirmation: 80}
"""

AppFactory = Callable[..., AbstractAsyncContextManager[App]]


@pytest.fixture(scope="session")
def tts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tts-cache")


@pytest.fixture
def app_factory(tmp_path: Path, redis_server: str, tts_cache: Path) -> AppFactory:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "dialer.yaml").write_text(TEST_POLICIES, encoding="utf-8")

    @asynccontextmanager
    async def make(*, now: datetime = MONDAY_10AM, **env: str) -> AsyncIterator[App]:
        environ = {
            "IVR_HTTP_PORT": "0",
            "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/ivr.db",
            "IVR_REDIS_URL": redis_server,
            "IVR_TTS_CACHE": str(tts_cache),
            "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "IVR_SANDBOX_SPEED": str(SPEED),
            "IVR_FLOWS_DIR": str(ROOT / "flows"),
            "IVR_CONFIG_DIR": str(config),
            "IVR_DIALER_CALLS_PER_S": "20",
            **env,
        }
        settings = load_settings(ROOT / "config" / "settings.yaml", environ)
        app = await App.start(settings, tmp_path, clock=Clock(speed=SPEED, fixed_now=now))
        try:
            await app.queue_store.client.flushdb()
            yield app
        finally:
            await app.stop()

    return make
