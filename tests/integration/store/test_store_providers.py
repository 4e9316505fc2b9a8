"""SqlDemoProviders on a real SQLite file, seeded with the simulator's sample data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.engine.speakable import speak
from ivr.providers import LookupProvider, LookupProviders
from ivr.providers.demo_data import account_key, seed_demo
from ivr.providers.sql import SqlDemoProviders
from ivr.store import CallStore
from ivr.store.models import Callback, DemoAccount, Ticket

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai: day session


@pytest.fixture
async def office(db_url: str) -> AsyncIterator[SqlDemoProviders]:
    store = await CallStore.open(db_url, now=lambda: NOW)
    async with store.engine.begin() as conn, AsyncSession(bind=conn) as session:
        assert await seed_demo(session, now=NOW) is True
        assert await seed_demo(session, now=NOW) is False  # idempotent
    yield SqlDemoProviders(store.engine, now=lambda: NOW)
    await store.close()


@pytest.fixture
def call(office: SqlDemoProviders) -> LookupProvider:
    providers: LookupProviders = office
    return providers.for_call("call-1")


async def test_caller_profile(call: LookupProvider) -> None:
    assert await call.lookup("caller_profile", {"caller": "13800000001"}) == (
        "vip",
        {"vip_tier": "gold", "account_masked": "****5678", "language": "zh-CN"},
    )
    assert await call.lookup("caller_profile", {"caller": "13800000002"}) == (
        "known",
        {"vip_tier": "", "account_masked": "****4321", "language": "zh-CN"},
    )
    assert await call.lookup("caller_profile", {"caller": "13900000000"}) == ("unknown", {})


async def test_verify_account_ok_and_fail(call: LookupProvider) -> None:
    assert await call.lookup("verify_account", {"account": "12345678", "pin": "123456"}) == (
        "ok",
        {"account_masked": "****5678", "name": "张伟", "vip_tier": "gold"},
    )
    assert await call.lookup("verify_account", {"account": "87654321", "pin": "654321"}) == (
        "ok",
        {"account_masked": "****4321", "name": "李娜", "vip_tier": ""},
    )
    assert await call.lookup("verify_account", {"account": "12345678", "pin": "000000"}) == (
        "fail",
        {"account_masked": "****5678"},
    )


async def test_locked_from_the_third_failure_in_a_call(office: SqlDemoProviders) -> None:
    call = office.for_call("call-2")
    bad = {"account": "12345678", "pin": "111111"}
    results = [(await call.lookup("verify_account", bad))[0] for _ in range(3)]
    assert results == ["fail", "fail", "locked"]
    good = {"account": "12345678", "pin": "123456"}
    assert (await call.lookup("verify_account", good))[0] == "locked"
    other_call = office.for_call("call-3")
    assert (await other_call.lookup("verify_account", good))[0] == "ok"


async def test_pin_is_stored_as_salted_hash(office: SqlDemoProviders) -> None:
    async with office.session() as session:
        rows = list(await session.scalars(select(DemoAccount).order_by(DemoAccount.name)))
    assert [r.name for r in rows] == ["张伟", "李娜"]
    assert [r.account_masked for r in rows] == ["****5678", "****4321"]
    assert [r.account for r in rows] == [account_key("12345678"), account_key("87654321")]
    assert all("12345678" not in r.account and "87654321" not in r.account for r in rows)
    for row, pin in zip(rows, ["123456", "654321"], strict=True):
        assert pin not in row.pin_hash
        assert row.pin_hash != pin
        assert len(row.pin_hash) == 128  # 64-byte scrypt digest, hex
        assert len(row.pin_salt) == 32
    assert rows[0].pin_salt != rows[1].pin_salt


async def test_account_status_and_risk(call: LookupProvider) -> None:
    assert await call.lookup("account_status", {"account": "12345678"}) == (
        "ok",
        {
            "balance": Decimal("1250000.00"),
            "available": Decimal("810000.00"),
            "margin_used": Decimal("440000.00"),
            "margin_ratio": Decimal("35.2"),
            "risk_level": "normal",
        },
    )
    result, data = await call.lookup("account_status", {"account": "87654321"})
    assert (result, data["margin_ratio"], data["risk_level"]) == ("ok", Decimal("92.5"), "high")
    assert await call.lookup("account_status", {"account": "99999999"}) == ("not_found", {})


async def test_trade_query_answers_raw_trades(call: LookupProvider) -> None:
    assert await call.lookup("trade_query", {"account": "12345678"}) == (
        "ok",
        {"trade_count": 2, "trades": "rb2510 buy open 3250 2; au2512 sell close 612.5 1"},
    )
    _, data = await call.lookup("trade_query", {"account": "12345678"})
    assert speak("trades", str(data["trades"]), "zh-CN") == (
        "买入开仓螺纹钢二五一零合约，两手，价格三千二百五十元；"
        "卖出平仓黄金二五一二合约，一手，价格六百一十二点五元"
    )
    assert await call.lookup("trade_query", {"account": "87654321"}) == (
        "none",
        {"trade_count": 0, "trades": ""},
    )


async def test_market_status(call: LookupProvider) -> None:
    assert await call.lookup("market_status", {}) == ("open", {"session": "day", "next_open": None})


async def test_ticket_and_callback_rows(office: SqlDemoProviders, call: LookupProvider) -> None:
    params = {"kind": "complaint", "caller": "13800000001", "account": "12345678", "note": "slow"}
    assert await call.lookup("create_ticket", params) == ("ok", {"ticket_id": "T000001"})
    assert await call.lookup(
        "request_callback", {"caller": "13800000001", "queue": "vip", "reason": "margin"}
    ) == ("ok", {"callback_id": "C000001"})
    async with office.session() as session:
        ticket = (await session.scalars(select(Ticket))).one()
        callback = (await session.scalars(select(Callback))).one()
    assert (ticket.kind, ticket.caller, ticket.account_masked, ticket.note) == (
        "complaint", "13800000001", "****5678", "slow",
    )  # fmt: skip
    assert (callback.queue, callback.reason, callback.status) == ("vip", "margin", "pending")


async def test_errors_become_the_error_result(
    office: SqlDemoProviders, call: LookupProvider
) -> None:
    assert await call.lookup("no_such_provider", {}) == ("error", {})
    assert await call.lookup("verify_account", {"account": "12345678"}) == ("error", {})
    async with office.session() as session, session.begin():
        await session.execute(text("DROP TABLE demo_trades"))
    assert await call.lookup("trade_query", {"account": "12345678"}) == ("error", {})
