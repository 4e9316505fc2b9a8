"""A client who presses 0 during a margin notice reaches an agent: the notice ends
`handed_to_agent`, the conversation is in the notice's sealed recording."""

from __future__ import annotations

from ivr.outbound.service import load_margin_campaign
from ivr.store.outbound import OutboundStore
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.outbound.conftest import AppFactory
from tests.integration.outbound.test_outbound_dialer import HEADER, until_async

ASKS_FOR_AGENT = "12345678,13900000016,112.5,50000,2026-01-06T09:00:00+08:00\n"  # presses 0


async def test_pressing_0_reaches_an_agent_and_ends_handed_to_agent(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app:
        assert app.switch is not None
        agent = AgentProfile(AgentId("a-1"), "王敏", "PJSIP/8001", {"mandarin": 3, "general": 3})
        await app.queue_store.add_agent(agent, app.clock.now_s())
        await app.queue_store.login(agent.agent_id, app.clock.now_s(), ready=True)
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        campaign = await load_margin_campaign(
            store, (HEADER + ASKS_FOR_AGENT).encode(), "m.csv", "sue", dialer.now()
        )
        dialer.wake()
        await until(lambda: bool(dialer.legs), what="the notice ringing")
        (leg,) = dialer.legs
        await until(
            lambda: (s := app.sessions.get(leg)) is not None and s.outcome == "answered",
            timeout_s=30,
            what="the client bridged to the agent",
        )
        app.switch.hangup(leg)  # the client hangs up after talking to the agent

        async def final() -> bool:
            (view,) = await store.calls(campaign.id)
            return view.status != "dialing" and view.status != "queued"

        await until_async(final, timeout_s=30, what="the notice final")
        (view,) = await store.calls(campaign.id)
        (attempt,) = await store.attempts(view.id)
        (originate,) = [r for r in app.switch.requests if r.params.get("channelId") == leg]
        assert (originate.method, originate.path, originate.status) == ("POST", "/channels", 200)
        assert {k: originate.params[k] for k in ("endpoint", "app", "appArgs", "callerId")} == {
            "endpoint": "PJSIP/13900000016@carrier",  # the trunk template, the national form
            "app": app.settings.ari.app,
            "appArgs": f"outbound,{view.id},1",
            "callerId": "95555",  # the kind's caller ID
        }
        assert (view.status, attempt.result, view.escalated) == (
            "handed_to_agent", "agent_requested", False,
        )  # fmt: skip
        assert attempt.ivr_call_id is not None
        parts = await app.recordings.search(call_id=attempt.ivr_call_id, purpose="margin_notice")
        assert parts
        assert all(p.sha256 is not None for p in parts)
