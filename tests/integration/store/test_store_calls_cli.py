"""`ivr calls list|show` against a SQLite file named by IVR_DATABASE_URL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.store import CallStore

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    flow: str
    node: str
    kind: str
    detail: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path}/ivr.db"
    monkeypatch.setenv("IVR_DATABASE_URL", url)
    settings = tmp_path / "settings.yaml"
    settings.write_text("", encoding="utf-8")
    store = await CallStore.open(url)
    try:
        cid = await store.create_call(
            channel_id="chan-1", caller="13800000001", dialed="95555", language="zh-CN",
            flow="hotline", call_id="call-1", started_at=T0,
        )  # fmt: skip
        entries = [
            Entry("hotline", "welcome", "enter"),
            Entry("hotline", "pin", "input", {"digits": "****"}),
        ]
        await store.append_trace(cid, entries, at=T0)
        await store.close_call(
            cid, "caller_hangup", "normal_clearing", at=T0 + timedelta(seconds=42)
        )
        await store.create_call(
            channel_id="chan-2", caller="13900000000", dialed="95556", language="en",
            flow="emergency", call_id="call-2", started_at=T0 + timedelta(minutes=1),
        )  # fmt: skip
    finally:
        await store.close()
    return settings


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_list_json(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["calls", "list", "--json", "--settings", str(database)], capsys)
    assert status == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["call-2", "call-1"]
    assert rows[1] | {"started_at": None} == {
        "id": "call-1", "channel_id": "chan-1", "caller": "13800000001", "dialed": "95555",
        "language": "zh-CN", "flow": "hotline", "flow_version": None, "started_at": None,
        "answered_at": None, "ended_at": "2026-11-25T01:00:42+00:00", "outcome": "caller_hangup",
        "hangup_cause": "normal_clearing", "queue": None, "priority": None,
    }  # fmt: skip


def test_list_table_and_limit(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["calls", "list", "--limit", "1", "--settings", str(database)], capsys)
    assert status == 0
    header, row = out.splitlines()
    assert header.split() == [
        "ID",
        "STARTED",
        "CALLER",
        "DIALED",
        "FLOW",
        "LANG",
        "OUTCOME",
        "CAUSE",
        "QUEUE",
        "DUR",
    ]
    assert row.split()[0] == "call-2"
    assert row.split()[-4:] == ["(active)", "-", "-", "-"]


def test_show_json_and_text(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["calls", "show", "call-1", "--json", "--settings", str(database)], capsys)
    assert status == 0
    doc = json.loads(out)
    assert doc["call"]["outcome"] == "caller_hangup"
    assert [(t["seq"], t["flow"], t["node"], t["kind"], t["detail"]) for t in doc["trace"]] == [
        (1, "hotline", "welcome", "enter", {}),
        (2, "hotline", "pin", "input", {"digits": "****"}),
    ]
    status, out, _ = run(["calls", "show", "call-1", "--settings", str(database)], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[1].split()[-1] == "42s"
    assert lines[4] == "trace:"
    assert lines[5].split()[0::2] == ["1", "hotline/welcome", "{}"]
    assert lines[6].endswith('hotline/pin  input  {"digits": "****"}')


def test_show_unknown_id(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["calls", "show", "nope", "--settings", str(database)], capsys)
    assert (status, out) == (1, "")
    assert err == "ivr: no call with id 'nope'; `ivr calls list` shows the recorded ones\n"
