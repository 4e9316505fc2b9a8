"""`ivr followups list|show|claim|close` against a SQLite file named by IVR_DATABASE_URL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.followups.store import FollowupStore, NewFollowup
from ivr.store.engine import open_engine
from ivr.store.users import UserStore

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path}/ivr.db"
    monkeypatch.setenv("IVR_DATABASE_URL", url)
    settings = tmp_path / "settings.yaml"
    settings.write_text("", encoding="utf-8")
    engine = await open_engine(url)
    try:
        store = FollowupStore(engine, now=lambda: T0)
        order = {"product": "rb", "month": "2505", "direction": "buy", "offset": "close",
                 "price_type": "limit", "price": "3580.5", "lots": "2"}  # fmt: skip
        await store.create(NewFollowup(
            kind="complaint", priority="normal", reason="complaint", caller="13900000000",
            due_at=T0 + timedelta(days=7)), why="complaint ticket T000001")  # fmt: skip
        await store.create(NewFollowup(
            kind="phone_order", priority="urgent", reason="emergency_order", caller="13800000009",
            due_at=T0 + timedelta(minutes=5), account_masked="****5678", order=order,
        ), why="emergency_order ticket T000002")  # fmt: skip
        users = UserStore(engine)
        await users.add_user("wang", ["agent"], "desk-1")
        await users.add_user("sue", ["supervisor"])
    finally:
        await engine.dispose()
    return settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_puts_phone_orders_first(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "followups", "list", "--json", "--settings", str(database))
    assert status == 0
    items = json.loads(out)
    assert [(i["id"], i["kind"], i["account"]) for i in items] == [
        (2, "phone_order", "****5678"), (1, "complaint", None),
    ]  # fmt: skip
    status, out, _ = run(capsys, "followups", "list", "--settings", str(database))
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "STATUS", "PRIO", "DUE", "CALLER", "ACCOUNT",
                                "CLAIMED", "REASON"]  # fmt: skip
    assert lines[1].split()[:3] == ["2", "phone_order", "open"]


def test_claim_close_and_show(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = str(database)
    status, _, err = run(capsys, "followups", "close", "2", "--user", "wang",
                         "--outcome", "order_confirmed", "--settings", s)  # fmt: skip
    assert (status, err) == (1, "ivr: follow-up 2 is not claimed: claim it first\n")
    status, _, err = run(capsys, "followups", "claim", "2", "--user", "sue", "--settings", s)
    assert (status, err) == (1, "ivr: --user: 'sue' is not an agent; only agents claim and close\n")
    status, out, _ = run(
        capsys, "followups", "claim", "2", "--user", "wang", "--json", "--settings", s
    )
    assert (status, json.loads(out)["status"]) == (0, "claimed")
    close = ["followups", "close", "2", "--user", "wang", "--outcome", "order_confirmed"]
    status, out, _ = run(capsys, *close, "--note", "keyed at 3580.5", "--settings", s)
    assert status == 0
    assert out.splitlines()[0] == "follow-up 2: phone_order (urgent) done"
    assert "order product=rb month=2505 direction=buy offset=close price_type=limit " in out
    history = [line.split()[2:4] for line in out.splitlines() if line.startswith("  ")]
    assert history == [["system", "created"], ["wang", "claimed"], ["wang", "closed"]]
    status, _, err = run(capsys, "followups", "claim", "2", "--user", "wang", "--settings", s)
    assert err == "ivr: cannot move a follow-up from 'done' to 'claimed' (it is final)\n"
