"""Users, tokens, browser sessions and dispositions, on SQLite and on PostgreSQL (`db_url`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from ivr.store import CallStore
from ivr.store.dispositions import DispositionExists, DispositionStore
from ivr.store.users import UserError, UserStore

T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def calls(db_url: str) -> AsyncIterator[CallStore]:
    store = await CallStore.open(db_url)  # migrates
    yield store
    await store.close()


async def test_tokens_sessions_and_revocation(calls: CallStore) -> None:
    clock = Clock()
    users = UserStore(calls.engine, now=clock)
    token = await users.add_user("li.na", ["agent"], "a1")
    with pytest.raises(UserError, match=r"user 'li\.na' exists; revoke it first"):
        await users.add_user("li.na", ["agent"], "a1")
    user = await users.verify(token)
    assert user is not None
    assert (user.name, user.agent_id, set(user.roles)) == ("li.na", "a1", {"agent"})
    assert await users.verify(token + "x") is None
    session = await users.create_session("li.na", ttl_s=60)
    assert (await users.verify_session(session)) == user
    clock.now = T0 + timedelta(seconds=61)
    assert await users.verify_session(session) is None  # expired
    fresh = await users.create_session("li.na", ttl_s=60)
    assert await users.revoke("li.na") is True
    assert await users.verify(token) is None
    assert await users.verify_session(fresh) is None
    assert await users.revoke("li.na") is False
    assert [u.name for u in await users.list_users()] == []
    assert [u.name for u in await users.list_users(include_revoked=True)] == ["li.na"]
    again = await users.add_user("li.na", ["agent", "supervisor"], "a1")  # re-issued
    assert again != token
    assert (await users.verify(again)) is not None


async def test_dispositions_once_per_agent_and_call(calls: CallStore) -> None:
    store = DispositionStore(calls.engine, now=lambda: T0)
    first = await store.record(
        call_id="call-1", agent_id="a1", user_name="li.na", disposition="resolved",
        notes="交易查询", queue="trading", caller="13912345678",
    )  # fmt: skip
    assert (first.queue, first.notes) == ("trading", "交易查询")
    with pytest.raises(DispositionExists, match="call 'call-1' already has a disposition"):
        await store.record(
            call_id="call-1", agent_id="a1", user_name="li.na", disposition="x", notes=""
        )
    await store.record(call_id="call-2", agent_id="a1", user_name="li.na", disposition="x",
                       notes="", at=T0 + timedelta(minutes=1))  # fmt: skip
    assert [d.call_id for d in await store.for_agent("a1", T0)] == ["call-2", "call-1"]
    assert await store.for_agent("a2", T0) == []
