"""Fixtures: a whole app (sandbox switch at speed 50, real redis-server, SQLite) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis

from ivr.app import App
from ivr.clock import Clock
from ivr.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]
MONDAY_10AM = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SPEED = 50.0

AppFactory = Callable[..., AbstractAsyncContextManager[App]]


@pytest.fixture(scope="session")
def tts_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One TTS cache for the whole test session: each prompt is rendered once."""
    return tmp_path_factory.mktemp("tts-cache")


@pytest.fixture
def app_factory(tmp_path: Path, redis_server: str, tts_cache: Path) -> AppFactory:
    # Each test starts on an empty Redis: what an earlier test left (a callback kept in line,
    # a lease) would otherwise be adopted or reclaimed by this test's app at its start.
    flush = redis.Redis(unix_socket_path=redis_server.removeprefix("unix://"))
    flush.flushdb()
    flush.close()

    @asynccontextmanager
    async def make(
        *, now: datetime = MONDAY_10AM, speed: float = SPEED, **env: str
    ) -> AsyncIterator[App]:
        environ = {
            "IVR_HTTP_PORT": "0",
            "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/ivr.db",
            "IVR_REDIS_URL": redis_server,
            "IVR_TTS_CACHE": str(tts_cache),
            "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
            "IVR_SANDBOX_SPEED": str(speed),
            "IVR_FLOWS_DIR": str(ROOT / "flows"),
            "IVR_CONFIG_DIR": str(ROOT / "config"),
            **env,
        }
        settings = load_settings(ROOT / "config" / "settings.yaml", environ)
        app = await App.start(settings, tmp_path, clock=Clock(speed=speed, fixed_now=now))
        try:
            await app.queue_store.client.flushdb()
            yield app
        finally:
            await app.stop()

    return make
