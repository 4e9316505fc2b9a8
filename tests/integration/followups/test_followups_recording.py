"""The recording watchdog on an agent-first callback of a phone order.

A phone order's callback is recorded whole through a snoop on the client, in watched parts
(purpose `callback`). When someone stops part 1 while agent and client still talk, part 2
starts at once on the same call, both parts are sealed and share the call's span, a
`recording_gap` alert goes to the wallboard stream, `ivr_recording_incidents_total` counts it,
and `ivr recordings verify`/`coverage` are clean: the same guarantees as the emergency line.
"""

from __future__ import annotations

import aiohttp

from ivr.app import App
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.test_call_recording import STOPPED_SPEED, seams
from tests.integration.followups.test_followups_api import item, users
from tests.integration.followups.test_followups_desk import Staff

# the app's reaction to a stopped part is wall time; at 5x, 1 s of call time is 200 ms of it
# (as `test_call_recording.py`'s stopped part)
SPEED = STOPPED_SPEED


async def parts(app: App, call_id: str) -> list[str]:
    return sorted(r.name for r in await app.recordings.search(call_id=call_id))


async def test_a_stopped_callback_part_is_followed_alerted_and_counted(
    app_factory: AppFactory,
) -> None:
    async with app_factory(speed=SPEED) as app, aiohttp.ClientSession(app.http_url) as http:
        api = Staff(http, await users(app))
        it = await item(app, kind="phone_order")
        await api("POST", f"/api/followups/{it.id}/claim", "alice")
        status, _ = await api("POST", f"/api/followups/{it.id}/call", "alice")
        assert status == 202
        key, call_id = f"followup-{it.id}-1", f"followup_{it.id}_1"
        first, second = f"{call_id}-callback-1", f"{call_id}-callback-2"
        assert app.switch is not None
        clock = app.switch.clock

        async def recorded(names: list[str]) -> bool:
            return await parts(app, call_id) == names

        await until(lambda: recorded([first]), timeout_s=30, what="part 1 of the callback")
        await clock.sleep(5.0)  # they talk
        await app.services.rest.stop_recording(first)  # someone stops it: an incident
        await until(lambda: recorded([first, second]), timeout_s=10, what="part 2")
        await clock.sleep(5.0)
        app.switch.hangup(f"{key}-client")
        calls = app.services.router.followups
        assert calls is not None
        await until(lambda: not calls.holds(key), timeout_s=30, what="the callback ended")

        found = sorted(await app.recordings.search(call_id=call_id), key=lambda r: r.name)
        assert [(r.name, r.status.value, r.source.value, r.purpose) for r in found] == [
            (first, "sealed", "snoop", "callback"),
            (second, "sealed", "snoop", "callback"),
        ]
        assert {r.covers_from for r in found} == {found[0].covers_from}  # one call, linked
        [seam] = seams(app, [first, second])
        assert 0.0 <= seam <= 1.0  # part 2 started within 1 s of part 1's end
        alerts = [e.fields for e in await app.queue_store.events() if e.type == "alert"]
        gaps = [a for a in alerts if a["kind"] == "recording_gap"]
        assert [(a["reason"], a["recording"], a["call_id"]) for a in gaps] == [
            ("ended_early", first, call_id)
        ]
        metrics = app.deps.metrics.render().decode()
        assert 'ivr_recording_incidents_total{reason="ended_early"} 1.0' in metrics
        assert await app.recordings.verify() == []
        [call] = await app.recordings.coverage()
        assert call.recording_ids == tuple(r.id for r in found)
        assert call.ratio >= 0.95
