"""Fixtures: the whole app (sandbox switch, real redis-server, SQLite) with a copy of the shipped
config in which the `general` queue (the hotline's `1,0`) has `survey: true`; an agent logged in;
helpers that find the agent's leg and wait for survey rows."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ivr.app import App
from ivr.queue.runtime import RedisQueueHandoff
from ivr.store.surveys import Survey, SurveyStore
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.call.conftest import ROOT, app_factory, tts_cache
from tests.integration.waiting.conftest import wire

__all__ = ["app_factory", "tts_cache"]

SurveyApp = Callable[..., AbstractAsyncContextManager[App]]
AGENT = AgentProfile(AgentId("a-1"), "王敏", "PJSIP/8001", {"mandarin": 3, "general": 3})


def survey_config(tmp_path: Path, *, survey: bool = True) -> Path:
    """The shipped config; `general` with `survey: true` unless `survey` is false."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    queues = config / "queues.yaml"
    text = queues.read_text(encoding="utf-8")
    marker = "  general:\n    skills: {mandarin: 1, general: 1}\n"
    assert marker in text
    if survey:
        queues.write_text(text.replace(marker, marker + "    survey: true\n"), encoding="utf-8")
    return config


@pytest.fixture
def survey_app(
    app_factory: Callable[..., AbstractAsyncContextManager[App]], tmp_path: Path
) -> SurveyApp:
    @asynccontextmanager
    async def make(*, survey: bool = True, **options: Any) -> AsyncIterator[App]:
        config = survey_config(tmp_path, survey=survey)
        async with app_factory(IVR_CONFIG_DIR=str(config), **options) as app:
            wire(app)
            now = app.clock.now_s()
            await app.queue_store.add_agent(AGENT, now)
            await app.queue_store.login(AGENT.agent_id, now, ready=True)
            yield app

    return make


def agent_leg(app: App, key: str) -> str:
    """The channel of the agent bridged to call `key`."""
    assert isinstance(app.handoff, RedisQueueHandoff)
    held = app.handoff.held(key)
    assert held is not None
    assert held[1].agent is not None
    return held[1].agent.channel_id


async def surveys(app: App) -> list[Survey]:
    start = datetime(2000, 1, 1, tzinfo=app.clock.now().tzinfo)
    return await SurveyStore(app.store.engine).rows(start, app.clock.now() + timedelta(days=3650))


async def until_surveys(app: App, check: Callable[[list[Survey]], bool], what: str) -> list[Survey]:
    """The survey rows once `check` holds (bounded wait)."""

    async def ok() -> list[Survey] | None:
        found = await surveys(app)
        return found if check(found) else None

    result: list[Survey] = await until(ok, timeout_s=20, what=what)
    return result
