"""`ivr users`, `ivr agents` and `ivr queues status` against a real redis-server and SQLite."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from ivr.cli import main
from ivr.commands import agents, queues, users
from ivr.errors import InputError, IvrError
from ivr.store.users import UserStore
from queueing.config import PriorityClass, parse_queues
from queueing.errors import AgentBusy, QueueConfigErrors
from queueing.model import AgentProfile, QueueResult
from queueing.policy import AgentId, CallKey
from queueing.store import RedisQueueStore
from tests.integration.web.conftest import QUEUES_YAML


@pytest.fixture
def env(redis_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "queues.yaml").write_text(QUEUES_YAML, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IVR_REDIS_URL", redis_server)
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/ivr.db")
    return {"prefix": f"cli{uuid.uuid4().hex[:8]}:", "db": f"sqlite+aiosqlite:///{tmp_path}/ivr.db"}


def ivr(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ivr")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (users, agents, queues):
        module.register(sub)
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


def verify(db: str, token: str) -> Any:
    async def go() -> Any:
        store = await UserStore.open(db)
        try:
            return await store.verify(token)
        finally:
            await store.close()

    return asyncio.run(go())


def test_users_add_prints_the_token_once_list_and_revoke(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert ivr("users", "add", "alice", "--role", "agent", "--agent-id", "a1") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "user alice added; its token (shown only this once):"
    token = out[1]
    user = verify(env["db"], token)
    assert (user.name, user.roles, user.agent_id) == ("alice", frozenset({"agent"}), "a1")
    assert ivr("users", "list", "--json") == 0
    listed = capsys.readouterr().out
    assert token not in listed
    assert [(u["name"], u["roles"]) for u in json.loads(listed)["users"]] == [("alice", ["agent"])]
    assert ivr("users", "revoke", "alice") == 0
    assert capsys.readouterr().out == "user alice revoked\n"
    assert verify(env["db"], token) is None
    with pytest.raises(IvrError, match=r"^no active user 'alice'; `ivr users list` shows them$"):
        ivr("users", "revoke", "alice")
    with pytest.raises(IvrError, match=r"^a user with role 'agent' needs --agent-id"):
        ivr("users", "add", "bob", "--role", "agent")


def test_agents_add_list_and_state_commands(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    p = ("--prefix", env["prefix"])
    with pytest.raises(IvrError) as bad:
        ivr("agents", "add", "a1", "--name", "Ann", "--endpoint", "PJSIP/8001",
            "--skill", "trading=7", *p)  # fmt: skip
    assert str(bad.value) == "--skill 'trading': level 7 is outside 1-5"
    assert isinstance(bad.value, InputError)
    with pytest.raises(InputError) as unknown:
        ivr("agents", "add", "a1", "--name", "Ann", "--endpoint", "PJSIP/8001",
            "--skill", "tradng=3", *p)  # fmt: skip
    assert str(unknown.value) == (
        "--skill 'tradng': unknown skill 'tradng' (did you mean 'trading'?)"
    )
    assert ivr("agents", "add", "a1", "--name", "Ann", "--endpoint", "PJSIP/8001",
               "--skill", "trading=3", "--skill", "general=2", *p) == 0  # fmt: skip
    assert capsys.readouterr().out == "agent a1 added\n"
    assert ivr("agents", "login", "a1", *p) == 0
    assert capsys.readouterr().out == "agent a1: not_ready (login)\n"
    assert ivr("agents", "ready", "a1", *p) == 0
    assert ivr("agents", "pause", "a1", "--reason", "training", *p) == 0
    assert capsys.readouterr().out == "agent a1: ready\nagent a1: not_ready (training)\n"
    assert ivr("agents", "list", "--json", *p) == 0
    (agent,) = json.loads(capsys.readouterr().out)["agents"]
    assert (agent["agent_id"], agent["endpoint"], agent["skills"], agent["state"]) == (
        "a1", "PJSIP/8001", {"general": 2, "trading": 3}, "not_ready")  # fmt: skip
    assert ivr("agents", "list", *p) == 0
    assert "a1  Ann   PJSIP/8001  general=2 trading=3  not_ready (training)" in (
        capsys.readouterr().out
    )
    assert ivr("agents", "logout", "a1", *p) == 0
    with pytest.raises(IvrError, match=r"^no agent 'zz'"):
        ivr("agents", "ready", "zz", *p)


def test_queues_status_json(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    async def seed() -> None:
        store = RedisQueueStore.from_url(
            os.environ["IVR_REDIS_URL"], parse_queues(QUEUES_YAML),
            prefix=env["prefix"],
        )  # fmt: skip
        now = time.time()
        profile = AgentProfile(AgentId("t1"), "T", "PJSIP/9", {"trading": 3})
        await store.add_agent(profile, now - 100)
        await store.login(AgentId("t1"), now - 100, ready=True)
        await store.enqueue(CallKey("x1"), "trading_support", PriorityClass.VIP, now - 30)
        await store.enqueue(CallKey("x2"), "trading_support", PriorityClass.NORMAL, now - 5)
        await store.enqueue(CallKey("x3"), "general", PriorityClass.NORMAL, now - 50)
        await store.remove_call(CallKey("x3"), QueueResult.ABANDONED, now)
        (offer,) = await store.route(now - 20)
        await store.answer(offer.call_id, offer.agent_id, now - 20)
        await store.close()

    asyncio.run(seed())
    assert ivr("queues", "status", "--json", "--prefix", env["prefix"]) == 0
    doc = json.loads(capsys.readouterr().out)
    general, trading = doc["queues"]
    assert general == {
        "queue": "general", "waiting": 0, "longest_wait_s": 0.0,
        "agents_by_state": {"logged_out": 0, "ready": 0, "not_ready": 0, "reserved": 0,
                            "on_call": 0, "wrap_up": 0},
        "entered": 1, "answered": 0, "abandoned": 1, "timed_out": 0,
        "service_level_pct": None, "abandon_rate_pct": 100.0,
    }  # fmt: skip
    assert trading["waiting"] == 1
    assert 4.0 <= trading["longest_wait_s"] < 15.0
    assert trading["agents_by_state"]["on_call"] == 1
    assert (trading["entered"], trading["answered"], trading["service_level_pct"]) == (2, 1, 100.0)
    assert ivr("queues", "status", "--prefix", env["prefix"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["QUEUE", "WAITING", "LONGEST", "AGENTS", "SL", "TODAY", "ABANDON"]
    assert lines[2].split()[:5] == ["trading_support", "1", lines[2].split()[2], "1", "on_call"]


def test_without_redis_the_commands_say_what_to_do(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("IVR_REDIS_URL")
    with pytest.raises(IvrError) as info:
        ivr("queues", "status")
    assert str(info.value) == (
        f"no Redis configured and no local one at {tmp_path}/var/redis/redis.sock: "
        "start `ivr serve` in this directory or set IVR_REDIS_URL"
    )


def test_typed_errors_reach_the_cli_unwrapped(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = ("--prefix", env["prefix"])

    async def seed() -> None:
        store = RedisQueueStore.from_url(
            os.environ["IVR_REDIS_URL"], parse_queues(QUEUES_YAML), prefix=env["prefix"]
        )
        now = time.time()
        await store.add_agent(AgentProfile(AgentId("a1"), "A", "PJSIP/1", {"trading": 3}), now)
        await store.login(AgentId("a1"), now, ready=True)
        await store.enqueue(CallKey("x1"), "trading_support", PriorityClass.NORMAL, now)
        assert len(await store.route(now)) == 1  # a1 is now reserved for x1
        await store.close()

    asyncio.run(seed())
    with pytest.raises(AgentBusy):
        ivr("agents", "pause", "a1", *p)
    assert main(["agents", "pause", "a1", *p]) == 1
    assert capsys.readouterr().err == "ivr: agent 'a1' is busy with a call; try after it ends\n"
    queues_file = tmp_path / "config" / "queues.yaml"
    queues_file.write_text("queues: [1]\n", encoding="utf-8")
    with pytest.raises(QueueConfigErrors):
        ivr("queues", "status", *p)
    assert main(["queues", "status", *p]) == 1
    assert capsys.readouterr().err.startswith(f"ivr: {queues_file}:1:")
