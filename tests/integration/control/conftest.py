"""Fixtures: the whole app per test (as for `tests/integration/call`)."""

from __future__ import annotations

from tests.integration.call.conftest import app_factory, tts_cache

__all__ = ["app_factory", "tts_cache"]
