"""A restart loses nothing: a leg out when the app stops is closed `failed` (cause `restart`)
by the next start, and the notice is retried per policy from SQL."""

from __future__ import annotations

from ivr.outbound.service import load_margin_campaign
from ivr.store.outbound import OutboundStore
from tests.helpers import until
from tests.integration.outbound.conftest import AppFactory
from tests.integration.outbound.test_outbound_dialer import HEADER, until_async

RINGS = "12345678,13900000013,112.5,50000,2026-01-06T09:00:00+08:00\n"  # never answers


async def test_a_leg_out_at_stop_is_closed_and_retried_after_restart(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app:
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        campaign = await load_margin_campaign(
            store, (HEADER + RINGS).encode(), "m.csv", "sue", dialer.now()
        )
        dialer.wake()
        await until(lambda: bool(dialer.legs), what="the leg ringing")
    async with app_factory() as app:
        store = OutboundStore(app.store.engine)
        (call,) = await store.calls(campaign.id)

        async def final() -> bool:
            (view,) = await store.calls(campaign.id)
            return view.status == "unconfirmed"

        await until_async(final, timeout_s=60, what="the notice final")
        attempts = await store.attempts(call.id)
        assert [(a.result, a.cause) for a in attempts] == [
            ("failed", "restart"), ("no_answer", "cause_19"), ("no_answer", "cause_19"),
        ]  # fmt: skip
