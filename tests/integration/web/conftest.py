"""An API app on a real redis-server and a SQLite file, served on 127.0.0.1:0.

Each test gets its own Redis key prefix and database, five users (two agents, a supervisor,
an admin, a compliance officer) and two agents in the queue store. Time is a FakeClock.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ivr.queue.feed import AgentFeed
from ivr.store import CallStore
from ivr.store.users import UserStore
from ivr.web.api import ApiDeps, add_api_routes
from queueing.config import parse_queues
from queueing.model import AgentProfile
from queueing.policy import AgentId
from queueing.store import RedisQueueStore

QUEUES_YAML = """
skills: [general, trading, licensed, mandarin]
defaults:
  ring_timeout_s: 15
  wrap_up_s: 30
  service_level: {percent: 80, within_s: 20}
queues:
  general:
    skills: {general: 1}
  trading_support:
    skills: {trading: 2}
"""
T0 = 1_764_000_000.0  # 2025-11-24T16:00:00Z


@dataclass
class FakeClock:
    t: float = T0

    def now_s(self) -> float:
        return self.t


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    app: web.Application
    queues: RedisQueueStore
    calls: CallStore
    users: UserStore
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def call(
        self, method: str, path: str, user: str | None = None, json: Any = None
    ) -> tuple[int, Any]:
        headers = self.auth(user) if user else {}
        async with self.client.request(method, path, headers=headers, json=json) as resp:
            body = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, body


USERS = {
    "alice": (["agent"], "a1"),
    "bob": (["agent"], "a2"),
    "sue": (["supervisor"], None),
    "adam": (["admin"], None),
    "carl": (["compliance"], None),
}


@pytest.fixture
async def api(redis_server: str, tmp_path: Path) -> AsyncIterator[Api]:
    config = parse_queues(QUEUES_YAML)
    queues = RedisQueueStore.from_url(redis_server, config, prefix=f"t{uuid.uuid4().hex[:8]}:")
    calls = await CallStore.open(f"sqlite+aiosqlite:///{tmp_path}/ivr.db")
    users = UserStore(calls.engine)
    clock = FakeClock()
    feed = AgentFeed(queues, clock.now_s, poll_interval_s=0.005)
    app = web.Application()
    add_api_routes(app, ApiDeps(queues, calls, users, clock, offers=feed))
    server = TestServer(app)
    await server.start_server(access_log=None)  # as `ivr serve` runs it (App._start_http)
    client: TestClient[web.Request, web.Application] = TestClient(server)
    await client.start_server()
    state = Api(client, app, queues, calls, users, clock)
    for name, (roles, agent_id) in USERS.items():
        state.tokens[name] = await users.add_user(name, roles, agent_id)
    for agent_id, skills in (("a1", {"general": 3, "trading": 4}), ("a2", {"general": 2})):
        profile = AgentProfile(AgentId(agent_id), agent_id.upper(), f"PJSIP/80{agent_id}", skills)
        await queues.add_agent(profile, T0)
    try:
        yield state
    finally:
        await client.close()
        await queues.close()
        await calls.close()
