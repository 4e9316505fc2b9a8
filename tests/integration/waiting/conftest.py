"""Fixtures: the call tests' whole app (sandbox switch at speed 50, real redis-server), with
the waiting-caller wiring the app may not do yet (announcement prompts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from ivr.app import App
from ivr.call.media import HttpPromptMedia
from ivr.queue.runtime import RedisQueueHandoff
from tests.integration.call.conftest import app_factory, tts_cache

__all__ = ["app_factory", "tts_cache", "waiting_app"]

WaitingApp = Callable[..., AbstractAsyncContextManager[App]]


def wire(app: App) -> None:
    """What `App` wires once the lead adds the hooks (see ivr/queue/runtime.py)."""
    handoff = app.handoff
    assert isinstance(handoff, RedisQueueHandoff)
    if handoff.prompts is None:
        handoff.prompts = HttpPromptMedia(app.renderer, app.http_url)


@pytest.fixture
def waiting_app(app_factory: Callable[..., AbstractAsyncContextManager[App]]) -> WaitingApp:
    @asynccontextmanager
    async def make(**options: Any) -> AsyncIterator[App]:
        async with app_factory(**options) as app:
            wire(app)
            yield app

    return make
