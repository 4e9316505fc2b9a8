"""Calling windows in the running app: a margin notice loaded on a Saturday is not dialled; it
is held until an hour before Monday's first session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ivr.outbound.service import load_margin_campaign
from ivr.store.outbound import OutboundStore
from ivr.store.outbound_model import OutboundCallRow
from tests.integration.outbound.conftest import AppFactory
from tests.integration.outbound.test_outbound_dialer import HEADER, alerts, until_async

SH = ZoneInfo("Asia/Shanghai")
SATURDAY_NOON = datetime(2026, 1, 10, 12, 0, tzinfo=SH)
NOTICE = "12345678,13900000010,112.5,50000,2026-01-12T09:00:00+08:00\n"


async def test_a_notice_outside_its_window_is_held_not_dialled(app_factory: AppFactory) -> None:
    async with app_factory(now=SATURDAY_NOON) as app:
        assert app.switch is not None
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        await load_margin_campaign(store, (HEADER + NOTICE).encode(), "m.csv", "sue", dialer.now())
        dialer.wake()
        monday_8 = datetime(2026, 1, 12, 8, 0, tzinfo=SH).timestamp()

        async def held() -> bool:
            async with app.store.engine.connect() as db:
                next_at = await db.scalar(select(OutboundCallRow.next_at))
            return next_at == monday_8

        await until_async(held, timeout_s=20, what="the notice held until Monday 08:00")
        (campaign,) = await store.status()
        assert campaign.counts == {"queued": 1}
        assert not [r for r in app.switch.requests if r.path == "/channels"]


MONDAY_10 = datetime(2026, 1, 12, 10, 0, tzinfo=SH)  # in the morning session
PAST_DEADLINE = "12345678,13900000011,112.5,50000,2026-01-12T09:00:00+08:00\n"


async def test_a_notice_past_its_deadline_is_expired_and_escalated_not_dialled(
    app_factory: AppFactory,
) -> None:
    """Its turn comes after its deadline: calling now is no notice. It is not dialled, ends
    `expired`, and goes to a person (an urgent follow-up item and the wallboard alert)."""
    async with app_factory(now=MONDAY_10) as app:
        assert app.switch is not None
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        await load_margin_campaign(
            store, (HEADER + PAST_DEADLINE).encode(), "m.csv", "sue", dialer.now()
        )
        dialer.wake()

        async def expired() -> bool:
            (campaign,) = await store.status()
            return campaign.counts == {"expired": 1}

        await until_async(expired, timeout_s=20, what="the notice expired")
        async with app.store.engine.connect() as db:
            row = (await db.execute(select(OutboundCallRow))).one()
        assert (row.status, row.last_result, row.escalated_at is not None) == (
            "expired",
            "expired",
            True,
        )
        assert not [r for r in app.switch.requests if r.path == "/channels"]
        [item] = await app.services.followups.store.search()
        assert (item.kind, item.priority, item.reason, item.caller, item.account_masked) == (
            "margin_notice", "urgent", "margin_notice_expired", "+8613900000011", "****5678",
        )  # fmt: skip
        [alert] = [a for a in await alerts(app) if a["kind"] == "outbound_unconfirmed"]
        assert (alert["status"], alert["last_result"], alert["account"]) == (
            "expired",
            "expired",
            "****5678",
        )
