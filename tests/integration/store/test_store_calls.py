"""CallStore on a real SQLite file: round-trip, traces, listing; migrations == models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from ivr.store import CallStore, StoreError, migrate
from ivr.store.engine import create_engine
from ivr.store.schema import METADATA

T0 = datetime(2026, 11, 25, 1, 2, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    node: str
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    flow: str = "hotline"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[CallStore]:
    store = await CallStore.open(db_url, now=lambda: T0)
    yield store
    await store.close()


async def test_create_trace_close_round_trip(store: CallStore) -> None:
    cid = await store.create_call(
        channel_id="chan-1", caller="13800000001", dialed="95555", language="zh-CN",
        flow="hotline", flow_version="abc123", call_id="call-1",
    )  # fmt: skip
    await store.mark_answered(cid, at=T0 + timedelta(seconds=1))
    await store.append_trace(cid, [Entry("welcome", "enter"), Entry("main_menu", "enter")])
    await store.append_trace(cid, [Entry("main_menu", "input", {"digits": "1"})])
    await store.set_queue(cid, "vip", "vip")
    await store.close_call(cid, "queued", "normal_clearing", at=T0 + timedelta(seconds=30))

    detail = await store.get_call("call-1")
    assert detail is not None
    call = detail.call
    assert (call.id, call.channel_id, call.caller, call.dialed, call.language) == (
        "call-1", "chan-1", "13800000001", "95555", "zh-CN",
    )  # fmt: skip
    assert (call.flow, call.flow_version, call.queue, call.priority) == (
        "hotline", "abc123", "vip", "vip",
    )  # fmt: skip
    assert call.started_at == T0
    assert call.answered_at == T0 + timedelta(seconds=1)
    assert call.ended_at == T0 + timedelta(seconds=30)
    assert (call.outcome, call.hangup_cause) == ("queued", "normal_clearing")
    assert [(t.seq, t.node, t.kind, dict(t.detail)) for t in detail.trace] == [
        (1, "welcome", "enter", {}),
        (2, "main_menu", "enter", {}),
        (3, "main_menu", "input", {"digits": "1"}),
    ]
    assert detail.trace[0].at == T0
    assert detail.trace[0].flow == "hotline"


async def test_engine_trace_entries_are_accepted(store: CallStore) -> None:
    from ivr.engine.commands import TraceEntry

    cid = await store.create_call(channel_id="c", caller="1", dialed="2", language="en", flow="f")
    await store.append_trace(cid, [TraceEntry("emergency", "pin", "input", {"digits": "****"})])
    detail = await store.get_call(cid)
    assert detail is not None
    (entry,) = detail.trace
    assert (entry.flow, entry.node, entry.kind, dict(entry.detail)) == (
        "emergency", "pin", "input", {"digits": "****"},
    )  # fmt: skip


async def test_secret_named_details_are_masked_before_storage(store: CallStore) -> None:
    cid = await store.create_call(
        channel_id="c", caller="1", dialed="2", language="en", flow="hotline"
    )
    await store.append_trace(cid, [Entry("pin", "input", {"pin": "123456", "input": "1"})])
    async with store.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT detail FROM call_trace"))).scalar_one()
    assert "123456" not in stored
    detail = await store.get_call(cid)
    assert detail is not None
    assert dict(detail.trace[0].detail) == {"pin": "****", "input": "1"}


async def test_list_calls_newest_first_with_limit_and_since(store: CallStore) -> None:
    for n in range(5):
        await store.create_call(
            channel_id=f"c{n}", caller="1", dialed="2", language="en", flow="hotline",
            call_id=f"call-{n}", started_at=T0 + timedelta(minutes=n),
        )  # fmt: skip
    assert [c.id for c in await store.list_calls(limit=3)] == ["call-4", "call-3", "call-2"]
    since = T0 + timedelta(minutes=3)
    assert [c.id for c in await store.list_calls(since=since)] == ["call-4", "call-3"]
    assert await store.get_call("nope") is None


async def test_reopen_is_idempotent_and_keeps_rows(db_url: str) -> None:
    url = db_url
    store = await CallStore.open(url)
    await store.create_call(channel_id="c", caller="1", dialed="2", language="en", flow="f")
    await store.close()
    await migrate(url)
    store = await CallStore.open(url)
    try:
        assert len(await store.list_calls()) == 1
    finally:
        await store.close()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection)
    metadatas = list(METADATA)
    return list(compare_metadata(context, metadatas))  # type: ignore[arg-type]  # a list works


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_produce_the_models_schema(db_url: str) -> None:
    url = db_url
    await migrate(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            assert await conn.run_sync(_tables) == {
                "alembic_version", "calls", "call_trace", "demo_accounts", "demo_trades",
                "tickets", "callbacks", "users", "user_sessions", "dispositions",
                "recordings", "recording_audit", "flow_versions", "flow_live", "flow_audit",
                "flow_generation",
                "outbound_campaigns", "outbound_calls", "outbound_attempts", "do_not_call",
                "pin_failures", "pin_locks", "pin_audit", "followups", "followup_events",
                "call_control_audit",
                "surveys",
            }  # fmt: skip
    finally:
        await engine.dispose()


async def test_bad_url_and_missing_driver_are_store_errors() -> None:
    with pytest.raises(StoreError) as caught:
        await CallStore.open("not a url")
    assert str(caught.value) == (
        "database URL is not valid; use e.g. sqlite+aiosqlite:///var/ivr.db"
        " or postgresql+asyncpg://user@host/ivr"
    )
    with pytest.raises(StoreError) as caught:
        await CallStore.open("postgresql+nosuchdriver://u@h/d")
    assert str(caught.value).startswith("cannot use database URL for postgresql+nosuchdriver:")


async def test_a_batch_of_records_is_written_as_grouped_statements(store: CallStore) -> None:
    """The write-behind writer's batch (`ivr.call.record_batch`): new rows, every call's trace
    entries and the column changes in a few statements, on SQLite and PostgreSQL; written twice
    (a replay), nothing is stored twice and the later value of a column wins."""
    from ivr.call.record_batch import write_grouped

    def at(s: int) -> str:
        return (T0 + timedelta(seconds=s)).isoformat()

    batch: list[dict[str, Any]] = []
    for n in (1, 2):
        cid = f"call-g{n}"
        batch += [
            {"kind": "start", "call_id": cid, "at": at(0), "channel_id": f"chan-g{n}",
             "caller": "13800000001", "dialed": "95555", "language": "zh-CN", "flow": "hotline"},
            {"kind": "answered", "call_id": cid, "at": at(1)},
            {"kind": "trace", "call_id": cid, "at": at(2), "first_seq": 1, "entries": [
                {"node": "welcome", "kind": "enter", "detail": {}, "at": at(2)},
                {"node": "menu", "kind": "input", "detail": {"digits": "1"}, "at": at(3)}]},
            {"kind": "queued", "call_id": cid, "at": at(4), "queue": "general",
             "priority": "normal"},
            {"kind": "queued", "call_id": cid, "at": at(5), "queue": "vip", "priority": "vip"},
            {"kind": "trace", "call_id": cid, "at": at(6), "first_seq": 3, "entries": [
                {"node": "agent", "kind": "enter", "detail": {}, "at": at(6)}]},
            {"kind": "ended", "call_id": cid, "at": at(9), "outcome": "queued", "cause": "normal"},
        ]  # fmt: skip
    batch.append({"kind": "mystery", "call_id": "call-g1", "at": at(9)})
    for _ in range(2):  # the second time: a replay of the same batch
        async with store.writes() as w:
            assert await write_grouped(w, batch) == ["mystery"]
    for n in (1, 2):
        detail = await store.get_call(f"call-g{n}")
        assert detail is not None
        call = detail.call
        assert (call.channel_id, call.queue, call.priority, call.outcome) == (
            f"chan-g{n}", "vip", "vip", "queued",
        )  # fmt: skip
        assert (call.answered_at, call.ended_at) == (
            T0 + timedelta(seconds=1),
            T0 + timedelta(seconds=9),
        )
        assert [(t.seq, t.node, t.kind, dict(t.detail)) for t in detail.trace] == [
            (1, "welcome", "enter", {}),
            (2, "menu", "input", {"digits": "1"}),
            (3, "agent", "enter", {}),
        ]  # fmt: skip
        assert detail.trace[1].at == T0 + timedelta(seconds=3)
