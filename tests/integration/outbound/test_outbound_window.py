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
from tests.integration.outbound.test_outbound_dialer import HEADER, until_async

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
