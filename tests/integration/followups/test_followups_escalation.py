"""Overdue items escalate on the injected clock: an alert when due passes, then supervisors.

Real SQLite (migrated), the shipped policy; time is a list the test moves forward.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError

from ivr.clock import Clock
from ivr.engine.tradingcal import load_trading_calendar
from ivr.followups.escalation import Escalator
from ivr.followups.policy_file import load_followup_policy
from ivr.followups.promises import Promises
from ivr.followups.store import FollowupStore, NewFollowup
from ivr.followups.unconfirmed import FollowupEscalation
from ivr.outbound.escalation import Unconfirmed
from ivr.store.engine import open_engine
from tests.helpers import until

ROOT = Path(__file__).resolve().parents[3]
SH = ZoneInfo("Asia/Shanghai")


async def test_an_overdue_phone_order_alerts_then_goes_to_supervisors(tmp_path: Path) -> None:
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path}/f.db")
    now = [datetime(2026, 1, 5, 10, 0, tzinfo=SH)]
    sent: list[tuple[str, dict[str, str]]] = []

    async def alert(kind: str, fields: Mapping[str, str]) -> None:
        sent.append((kind, dict(fields)))

    store = FollowupStore(engine, now=lambda: now[0])
    policy = load_followup_policy(ROOT / "config/followups.yaml")
    calendar = load_trading_calendar(ROOT / "config/trading_calendar.yaml")
    promises = Promises(store, policy, calendar=calendar, alert=alert)
    rule = policy.for_ticket("emergency_order")
    assert rule is not None
    new = NewFollowup(
        kind="phone_order", priority="urgent", reason="emergency_order", caller="13800000009",
        due_at=promises.due(rule, now[0]), account_masked="****5678",
        order={"product": "rb", "lots": "2"},
    )  # fmt: skip
    item = await promises.create(rule, new, "emergency_order ticket T000001")
    escalator = Escalator(promises, Clock())
    try:
        assert [k for k, _ in sent] == ["followup"]
        assert await escalator.run_once() == []  # not due yet
        now[0] += timedelta(minutes=6)  # 1 min overdue
        assert await escalator.run_once() == [item.id]
        assert await escalator.run_once() == []  # once per step
        now[0] += timedelta(minutes=5)  # 6 min overdue (limit 5)
        assert await escalator.run_once() == [item.id]
        assert [k for k, _ in sent] == ["followup", "followup_overdue", "followup_escalated"]
        assert sent[-1][1]["account"] == "****5678"
        detail = await store.get(item.id)
        assert detail.escalation == 2
        assert [(h.action, h.why) for h in detail.history] == [
            ("created", "emergency_order ticket T000001"),
            ("overdue", "not done 1 min after its due time"),
            ("escalated", "overdue 6 min (limit 5 min): escalated to supervisors"),
        ]
        assert (await store.counts())["phone_order"] == {"open": 1, "overdue": 1}
    finally:
        await engine.dispose()


async def test_an_unconfirmed_margin_notice_becomes_an_urgent_item(tmp_path: Path) -> None:
    """The dialer's escalation port: the item, its alert, then the dialer's own alert."""
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path}/f.db")
    now = datetime(2026, 1, 5, 10, 0, tzinfo=SH)
    sent: list[tuple[str, dict[str, str]]] = []

    async def alert(kind: str, fields: Mapping[str, str]) -> None:
        sent.append((kind, dict(fields)))

    store = FollowupStore(engine, now=lambda: now)
    policy = load_followup_policy(ROOT / "config/followups.yaml")
    promises = Promises(store, policy, alert=alert)
    dialer_alerts: list[Unconfirmed] = []

    async def fallback(notice: Unconfirmed) -> None:
        dialer_alerts.append(notice)

    notice = Unconfirmed(
        outbound_id=42, kind="margin_notice", campaign_id=3, account_masked="****5678",
        phone="13912345678", attempts=3, last_result="no_answer",
    )  # fmt: skip
    try:
        await FollowupEscalation(promises, fallback).escalate(notice)
        [item] = await store.search()
        assert (item.kind, item.priority, item.reason, item.caller) == (
            "margin_notice", "urgent", "margin_notice_unconfirmed", "13912345678",
        )  # fmt: skip
        assert (item.account_masked, item.reference) == ("****5678", "outbound-42")
        assert item.due_at == now + timedelta(minutes=30)
        full = await store.get(item.id)
        assert full.history[0].why == (
            "outbound 42: unconfirmed after 3 attempt(s), last: no_answer"
        )
        assert [k for k, _ in sent] == ["followup"]
        assert dialer_alerts == [notice]
    finally:
        await engine.dispose()


async def test_a_database_outage_is_logged_once_each_way_and_passes_go_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path}/f.db")
    store = FollowupStore(engine, now=lambda: datetime(2026, 1, 5, 10, 0, tzinfo=SH))

    async def alert(kind: str, fields: Mapping[str, str]) -> None:
        pass

    promises = Promises(store, load_followup_policy(ROOT / "config/followups.yaml"), alert=alert)
    real, failed, passes = store.search, [0], [0]
    locked = sqlite3.OperationalError("database is locked")

    async def search(**kw: Any) -> Any:  # the database refuses, as a locked or lost one does
        passes[0] += 1
        if failed[0] < 4:
            failed[0] += 1
            raise OperationalError("SELECT followups", {}, locked)
        return await real(**kw)

    store.search = search  # type: ignore[method-assign]
    escalator = Escalator(promises, Clock(), interval_s=0.01)
    escalator.start()
    try:
        await until(lambda: passes[0] >= 6, timeout_s=30, what="passes after the outage")
    finally:
        await escalator.aclose()
        await engine.dispose()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "ivr.outage"]
    assert lines[0] == (
        "WARNING",
        "follow-up escalation: OperationalError: (sqlite3.OperationalError) database is locked;"
        " retrying with backoff",
    )
    assert lines[1][1].startswith("follow-up escalation: recovered after 4 failures in ")
    assert len(lines) == 2
    assert not [r for r in caplog.records if r.exc_info]
