"""The write-behind call-record writer on a real SQLite file: order, outage, journal, replay.

The database is made to refuse writes the way an operator would see it: another connection
holds an exclusive lock (`BEGIN EXCLUSIVE`). Tests read the rows back through `CallStore` and
the journal file from disk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

from ivr.call.records import BATCH, CallRecordWriter
from ivr.engine.commands import TraceEntry
from ivr.metrics import Metrics
from ivr.store import CallRowId, CallStore
from tests.helpers import until

CALLER = "13912345678"
ACCOUNT = "88001234567"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CallStore]:
    s = await CallStore.open(f"sqlite+aiosqlite:///{tmp_path}/ivr.db")
    try:
        yield s
    finally:
        await s.close()


@contextmanager
def locked(db: Path) -> Iterator[None]:
    """Another connection holds the database's write lock until the block ends."""
    con = sqlite3.connect(db, isolation_level=None, check_same_thread=False, timeout=10)
    con.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        con.execute("COMMIT")
        con.close()


def journal_settled(writer: CallRecordWriter, journal: Path, at_least: int) -> bool:
    """At least `at_least` records journaled, and no append in flight (the count is the
    file's)."""
    lines = len(journal.read_text().splitlines()) if journal.exists() else 0
    return writer.journaled >= at_least and writer.journaled == lines


def entry(node: str, **detail: str) -> TraceEntry:
    return TraceEntry(flow="hotline", node=node, kind="input", detail=detail)


def report_call(writer: CallRecordWriter, n: int, *, traces: int = 2) -> str:
    """One whole call's reports (start, answered, traces, ended); returns its call id."""
    key, call_id = f"key-{n}", f"call-{n:03d}"
    writer.call_started(
        key, call_id=call_id, channel_id=f"chan-{n}", caller=CALLER, dialed="95555",
        language="zh", flow="hotline",
    )  # fmt: skip
    writer.answered(key)
    for t in range(traces):
        writer.trace(key, [entry(f"node-{t}a"), entry(f"node-{t}b")])
    writer.call_ended(key, "caller_hangup", "normal")
    return call_id


async def assert_written_once(store: CallStore, call_ids: list[str], traces: int = 2) -> None:
    calls = await store.list_calls(limit=1000)
    assert sorted(c.id for c in calls) == sorted(call_ids)
    for cid in call_ids:
        detail = await store.get_call(cid)
        assert detail is not None
        assert detail.call.caller == CALLER
        assert detail.call.answered_at is not None
        assert detail.call.outcome == "caller_hangup"
        assert [t.seq for t in detail.trace] == list(range(1, 2 * traces + 1))
        assert [t.node for t in detail.trace] == [
            f"node-{t}{x}" for t in range(traces) for x in "ab"
        ]


async def test_reports_are_written_in_order(store: CallStore, tmp_path: Path) -> None:
    writer = CallRecordWriter(store, tmp_path / "journal" / "calls.jsonl")
    writer.start()
    ids = [report_call(writer, n) for n in range(5)]
    await writer.flush()
    await assert_written_once(store, ids)
    await writer.aclose()
    assert not (tmp_path / "journal" / "calls.jsonl").exists()


async def test_reports_are_written_in_batches_of_one_transaction(
    store: CallStore, tmp_path: Path
) -> None:
    """60 calls (300 records) reported at once: a handful of commits, not 300; reports of a
    call with no row (ended, unknown) are not written."""
    commits: list[int] = []
    event.listen(store.engine.sync_engine, "commit", lambda conn: commits.append(1))
    writer = CallRecordWriter(store, tmp_path / "journal" / "calls.jsonl")
    writer.start()
    ids = [report_call(writer, n) for n in range(60)]
    writer.trace("key-59", [entry("after-end")])  # its call has ended: no row, not written
    writer.answered("key-unknown")
    await writer.flush()
    await assert_written_once(store, ids)
    assert writer.written == 60 * 5
    assert len(commits) <= -(-300 // BATCH) + 1  # 4 batches (+ the writer's first wake-up)
    await writer.aclose()


async def test_full_buffer_spills_to_the_journal_and_replays_once(
    store: CallStore, tmp_path: Path
) -> None:
    journal = tmp_path / "journal" / "calls.jsonl"
    metrics = Metrics()
    writer = CallRecordWriter(store, journal, max_pending=5, metrics=metrics)
    writer.start()
    with locked(tmp_path / "ivr.db"):
        ids = [report_call(writer, n) for n in range(4)]  # 4 x 5 reports
        assert writer.pending <= 5 + 1  # the buffer plus the one being written
        # appended off the event loop (a worker thread), so looked at once they are done
        await until(lambda: journal_settled(writer, journal, 14), what="the spills journaled")
        lines = journal.read_text().splitlines()
        assert len(lines) >= 14
        assert json.loads(lines[0])["kind"] == "start"
        text = metrics.render().decode()
        assert f'ivr_call_records_pending{{where="journal"}} {float(len(lines))}' in text
    await writer.flush()
    await assert_written_once(store, ids)
    assert journal.stat().st_size == 0
    assert 'ivr_call_records_pending{where="journal"} 0.0' in metrics.render().decode()
    await writer.aclose()


async def test_replay_after_a_partial_write_stores_each_row_once(
    store: CallStore, tmp_path: Path
) -> None:
    journal = tmp_path / "journal" / "calls.jsonl"
    first = CallRecordWriter(store, journal, flush_deadline_s=0.05)
    first.start()
    with locked(tmp_path / "ivr.db"):
        ids = [report_call(first, n) for n in range(3)]
        await first.aclose()  # the database never answered: everything is in the journal
    # part of it reached the database before the crash: call 0's row and its first trace batch
    await store.create_call(
        channel_id="chan-0", caller=CALLER, dialed="95555", language="zh", flow="hotline",
        call_id=ids[0],
    )  # fmt: skip
    await store.append_trace(CallRowId(ids[0]), [entry("node-0a"), entry("node-0b")], first_seq=1)
    with journal.open("a") as f:
        f.write('{"kind": "start", "call_')  # and a torn last line
    again = CallRecordWriter(store, journal)
    again.start()  # the next start replays the whole journal
    await again.flush()
    await assert_written_once(store, ids)
    assert journal.stat().st_size == 0
    await again.aclose()


async def test_shutdown_flush_has_a_deadline_then_journals(
    store: CallStore, tmp_path: Path
) -> None:
    journal = tmp_path / "journal" / "calls.jsonl"
    writer = CallRecordWriter(store, journal, flush_deadline_s=0.2)
    writer.start()
    with locked(tmp_path / "ivr.db"):
        ids = [report_call(writer, n) for n in range(3)]
        loop = asyncio.get_running_loop()
        started = loop.time()
        await writer.aclose()
        assert loop.time() - started < 8.0  # the deadline, then the busy wait of one write
        kinds = [json.loads(line)["kind"] for line in journal.read_text().splitlines()]
        assert kinds.count("start") == 3
        assert kinds.count("ended") == 3
    replay = CallRecordWriter(store, journal)
    replay.start()
    await replay.flush()
    await assert_written_once(store, ids)
    await replay.aclose()


async def test_an_outage_logs_one_line_each_way_and_no_values(
    store: CallStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    writer = CallRecordWriter(store, tmp_path / "calls.jsonl", retry_s=(0.01, 0.05))
    writer.start()
    with locked(tmp_path / "ivr.db"):
        ids = [report_call(writer, n) for n in range(3)]
        await until(lambda: "database unavailable" in caplog.text, timeout_s=30, what="outage")
    await writer.flush()
    await assert_written_once(store, ids)
    await writer.aclose()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("database unavailable" in m for m in messages) == 1
    assert sum("database back" in m for m in messages) == 1
    assert "Traceback" not in caplog.text
    assert CALLER not in caplog.text


async def test_a_rejected_write_logs_neither_caller_nor_account(
    store: CallStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with sqlite3.connect(tmp_path / "ivr.db") as con:
        for table in ("calls", "call_trace"):
            con.execute(
                f"CREATE TRIGGER reject_{table} BEFORE INSERT ON {table}"
                " BEGIN SELECT RAISE(ABORT, 'rejected by policy'); END"
            )
    writer = CallRecordWriter(store, tmp_path / "calls.jsonl")
    writer.start()
    key = "k"
    writer.call_started(
        key, call_id="c1", channel_id="ch", caller=CALLER, dialed="95555", language="zh",
        flow="hotline",
    )  # fmt: skip
    writer.trace(key, [entry("ask_account", account=ACCOUNT, caller=CALLER)])
    writer.call_ended(key, "caller_hangup", "normal")
    await writer.flush()
    await writer.aclose()
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 2  # the start and the trace; the end updates no row
    assert "IntegrityError" in dropped[0]
    assert CALLER not in caplog.text
    assert ACCOUNT not in caplog.text
    assert "Traceback" not in caplog.text


async def test_a_reclaimed_call_is_closed_lost_after_the_journal_replay(
    store: CallStore, tmp_path: Path
) -> None:
    """The recovery's `lost` arrives before the journal is replayed: it still closes the open
    row the replay creates, and leaves a row the journal had ended as it was."""
    journal = tmp_path / "journal" / "calls.jsonl"
    first = CallRecordWriter(store, journal, flush_deadline_s=0.05)
    first.start()
    with locked(tmp_path / "ivr.db"):
        ended = report_call(first, 1)
        first.call_started(
            "key-2", call_id="call-002", channel_id="chan-2", caller=CALLER, dialed="95555",
            language="zh", flow="hotline",
        )  # fmt: skip  # the app dies before this call ends
        await first.aclose()
    again = CallRecordWriter(store, journal)
    again.lost("chan-1", "recovered")  # reported before the writer has read its journal
    again.lost("chan-2", "recovered")
    again.start()
    await again.flush()
    one, two = await store.get_call(ended), await store.get_call("call-002")
    assert one is not None
    assert two is not None
    assert (one.call.outcome, one.call.hangup_cause) == ("caller_hangup", "normal")
    assert (two.call.outcome, two.call.hangup_cause) == ("lost", "recovered")
    await again.aclose()


async def test_journal_writes_run_off_the_event_loop_in_report_order(
    store: CallStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "journal" / "calls.jsonl"
    fsync_threads: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the disk's flush, watched: which thread waits for it
        fsync_threads.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    writer = CallRecordWriter(store, journal, max_pending=3)
    writer.start()
    with locked(tmp_path / "ivr.db"):
        ids = [report_call(writer, n) for n in range(6)]  # 6 x 5 reports: ten spills
        await until(lambda: journal_settled(writer, journal, 27), what="the spills journaled")
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert fsync_threads
    assert all(name.startswith("call-journal") for name in fsync_threads)
    starts = [r["call_id"] for r in lines if r["kind"] == "start"]
    assert starts == sorted(starts)  # appended in the order reported
    await writer.flush()
    await assert_written_once(store, ids)
    await writer.aclose()
