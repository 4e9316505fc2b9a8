"""Outbound call rows never keep a client's full account number: a campaign stores it masked,
and migration 0011 masks rows stored before (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from ivr.store.engine import create_engine, migrate_engine
from ivr.store.outbound import NewCall, OutboundStore

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


async def _accounts(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as db:
            rows = await db.execute(text("SELECT account FROM outbound_calls ORDER BY id"))
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


async def test_a_campaign_stores_only_the_masked_account(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate_engine(engine)
        calls = [
            NewCall(2, "12345678", "+8613900000010", {"account_last4": "5678"}),
            NewCall(3, "87654321012", "+8613900000020", {"account_last4": "1012"}),
        ]
        status = await OutboundStore(engine).create_campaign(
            "margin_notice", "m.csv", "sue", calls, now=NOW, now_s=0.0
        )
        assert status.counts == {"queued": 2}
        views = await OutboundStore(engine).calls(status.id)
        assert [v.account_masked for v in views] == ["****5678", "****1012"]
    finally:
        await engine.dispose()
    assert await _accounts(db_url) == ["****5678", "****1012"]


async def test_migration_0011_masks_accounts_stored_in_clear_before(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate_engine(engine, "0010")
        async with engine.begin() as db:
            await db.execute(
                text(
                    "INSERT INTO outbound_campaigns (id, kind, name, created_by, created_at)"
                    " VALUES (1, 'margin_notice', 'm.csv', 'sue', :now)"
                ),
                {"now": NOW.replace(tzinfo=None)},
            )
            for row_id, account in ((1, "12345678"), (2, "1234"), (3, "****9999")):
                await db.execute(
                    text(
                        "INSERT INTO outbound_calls (id, campaign_id, kind, line, account, phone,"
                        " facts, status, next_at, attempts, updated_at) VALUES (:id, 1,"
                        " 'margin_notice', :id, :account, '+8613900000010', '{}', 'queued', 0,"
                        " 0, :now)"
                    ),
                    {"id": row_id, "account": account, "now": NOW.replace(tzinfo=None)},
                )
        await migrate_engine(engine)
    finally:
        await engine.dispose()
    assert await _accounts(db_url) == ["****5678", "****", "****9999"]
