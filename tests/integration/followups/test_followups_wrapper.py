"""The promise wrapper on the SQL demo back office: an item per promise, none without one, and
no promise when the item cannot be stored (the lookup answers `error`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.followups.policy_file import load_followup_policy
from ivr.followups.promises import FollowupProviders, Promises
from ivr.followups.store import FollowupStore
from ivr.providers.demo_data import account_key, seed_demo
from ivr.providers.sql import SqlDemoProviders
from ivr.store import CallStore

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
async def promises(tmp_path: Path) -> AsyncIterator[tuple[FollowupProviders, CallStore]]:
    store = await CallStore.open(f"sqlite+aiosqlite:///{tmp_path}/ivr.db", now=lambda: NOW)
    async with store.engine.begin() as conn, AsyncSession(bind=conn) as session:
        await seed_demo(session, now=NOW)
    office = SqlDemoProviders(store.engine, now=lambda: NOW)
    items = FollowupStore(store.engine, now=lambda: NOW)
    policy = load_followup_policy(ROOT / "config/followups.yaml")
    yield FollowupProviders(office, Promises(items, policy, account_digest=account_key)), store
    await store.close()


async def test_an_order_ticket_and_its_callback_are_one_item(
    promises: tuple[FollowupProviders, CallStore],
) -> None:
    providers, store = promises
    call = providers.for_call("call-1")
    order = {"product": "au", "month": "2512", "direction": "sell", "offset": "close",
             "price_type": "market", "price": "", "lots": "1"}  # fmt: skip
    result, data = await call.lookup(
        "create_ticket", {"kind": "emergency_order", "caller": "13800000001",
                          "account": "12345678", **order},
    )  # fmt: skip
    assert (result, data) == ("ok", {"ticket_id": "T000001"})
    result, _ = await call.lookup(
        "request_callback", {"caller": "13800000001", "queue": "trading_desk",
                             "reason": "emergency_order"},
    )  # fmt: skip
    assert result == "ok"
    [item] = await providers.promises.store.search(call_id="call-1")
    assert (item.kind, item.order, item.account_masked, item.reference) == (
        "phone_order", order, "****5678", "T000001",
    )  # fmt: skip
    async with store.engine.connect() as conn:
        digest = (await conn.execute(text("SELECT account_digest FROM followups"))).scalar()
    assert digest == account_key("12345678")  # never the number in clear
    result, _ = await call.lookup("create_ticket", {"kind": "suggestion", "caller": "1"})
    assert result == "ok"
    assert len(await providers.promises.store.search()) == 1


async def test_no_item_no_promise(promises: tuple[FollowupProviders, CallStore]) -> None:
    providers, store = promises
    async with store.engine.begin() as conn:
        await conn.execute(text("DROP TABLE followup_events"))
    call = providers.for_call("call-2")
    params = {"caller": "13912345678", "reason": "market_closed"}
    assert await call.lookup("request_callback", params) == ("error", {})
    assert await call.lookup("create_ticket", {"kind": "complaint", "caller": "1"}) == ("error", {})
