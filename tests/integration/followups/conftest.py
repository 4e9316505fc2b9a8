"""Fixtures: the call tests' whole app (sandbox switch, real redis-server, SQLite), and the
waiting-caller wiring, for the follow-up tests."""

from __future__ import annotations

from tests.integration.call.conftest import app_factory, tts_cache
from tests.integration.waiting.conftest import waiting_app

__all__ = ["app_factory", "tts_cache", "waiting_app"]
