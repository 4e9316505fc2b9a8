"""A burst of calls: new calls ring until a setup slot frees (`calls.setup_concurrency`), the
emergency line is set up first, and a caller who hangs up while ringing is never answered.

The test holds the only setup slot itself, so every call it places is waiting at the gate when
it lets go: the order of the switch's `answer` requests is then the admission order.
"""

from __future__ import annotations

from ivr.sandbox.caller import ScenarioCall
from ivr.sandbox.scenario import scenario_from_dict
from ivr.sandbox.state import RequestRecord
from tests.helpers import until
from tests.integration.call.conftest import AppFactory

LISTEN_THEN_HANG_UP = [{"wait_for": "prompt_start", "timeout_s": 60}, {"hangup": True}]


def _answered(requests: list[RequestRecord]) -> list[str]:
    """Channels in the order the app answered them."""
    return [
        r.path.split("/")[2] for r in requests if r.method == "POST" and r.path.endswith("/answer")
    ]


def _setups(requests: list[RequestRecord], channels: set[str]) -> list[tuple[str, str]]:
    """(answer|play, channel) of each call's answer and first prompt, in request order."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for r in requests:
        parts = r.path.split("/")
        if len(parts) == 4 and parts[1] == "channels" and parts[3] in ("answer", "play"):
            step = (parts[3], parts[2])
            if parts[2] in channels and step not in seen:
                seen.add(step)
                out.append(step)
    return out


async def test_a_burst_rings_until_a_slot_frees_emergency_line_first(
    app_factory: AppFactory,
) -> None:
    async with app_factory(IVR_CALLS_SETUP_CONCURRENCY="1") as app:
        assert app.switch is not None
        gate = app.deps.admission
        held = gate.admitted()
        await held.__aenter__()  # the only slot: every new call rings
        calls: list[ScenarioCall] = []
        for i, dialed in enumerate(["95555", "95555", "95555", "95556"]):
            data = {"dialed": dialed, "caller": f"1390000000{i}", "steps": LISTEN_THEN_HANG_UP}
            calls.append(await app.switch.place_call(scenario_from_dict(data)))
        gone = await app.switch.place_call(
            scenario_from_dict({"dialed": "95555", "caller": "13900000009", "steps": []})
        )  # rings, then its caller gives up
        await until(lambda: gate.waiting == 5, what="five calls ringing")
        metrics = app.deps.metrics.render().decode()
        assert "ivr_calls_ringing 5.0" in metrics
        app.switch.hangup(gone.channel_id)
        await gone.finished(20)
        assert _answered(app.switch.requests) == []

        await held.__aexit__(None, None, None)
        for call in calls:
            await call.finished(30)
        await until(lambda: not app.sessions, what="every session closed")
        await app.call_records.flush()

        hotline = [c.channel_id for c in calls[:3]]
        emergency = calls[3].channel_id
        assert _answered(app.switch.requests) == [emergency, *hotline]
        setups = _setups(app.switch.requests, {emergency, *hotline})
        expected = [(step, ch) for ch in (emergency, *hotline) for step in ("answer", "play")]
        assert setups == expected  # one setup at a time: answer, first prompt, then the next
        for call in calls:
            assert call.transcript.prompts, "each admitted caller heard the first prompt"

        assert gone.transcript.prompts == []
        row = await app.store.find_by_channel(gone.channel_id)
        assert row is not None
        assert (row.call.answered_at, row.call.outcome) == (None, "caller_hangup")
        assert row.call.ended_at is not None
        assert (gate.busy, gate.waiting) == (0, 0)


async def test_a_burst_stays_within_the_switch_http_session_limit(app_factory: AppFactory) -> None:
    """Asterisk closes, unanswered, every HTTP session beyond its `sessionlimit`; the app keeps
    its REST connections to `ari.max_connections`, so a burst is served without one refused."""
    steps = [
        {"wait_for": "prompt_start", "timeout_s": 60},
        {"press": "1"},
        {"wait_for": "prompt_start", "timeout_s": 60},
        {"hangup": True},
    ]
    async with app_factory(IVR_ARI_MAX_CONNECTIONS="3", IVR_CALLS_SETUP_CONCURRENCY="8") as app:
        assert app.switch is not None
        app.switch.session_limit = 4  # three REST connections and the events websocket
        calls = []
        for i in range(30):
            data = {"dialed": "95555", "caller": f"13900001{i:03d}", "steps": steps}
            calls.append(await app.switch.place_call(scenario_from_dict(data)))
        for call in calls:
            transcript = await call.finished(60)
            assert transcript.ended_by == "caller"
            assert len(transcript.prompts) >= 2  # the language menu, then the next prompt
        assert app.switch.sessions_refused == 0
        assert app.switch.peak_sessions <= 4
