"""Hold/resume and blind transfer to a queue, end to end on a switch that behaves as Asterisk.

- hold: the client hears the hold music and no longer the agent; resume: the agent again;
- blind transfer of an emergency call to the general queue: it keeps its class, its first
  enqueue time and its screen pop, waits ahead of normal callers who waited longer, and the
  next agent of that queue takes it;
- a recorded emergency call transferred twice: its whole-call recording follows the caller,
  every part sealed and linked to the call, coverage clean;
- every action audited in SQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from ivr.queue.waiting import Phase
from ivr.sandbox import EndpointBehavior
from queueing.config import PriorityClass
from queueing.model import QueueCallState
from queueing.policy import CallKey
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.control.desk import (
    AGENT_B_HZ,
    AGENT_HZ,
    CALLER_HZ,
    DESK,
    GENERAL,
    MUSIC_HZ,
    SPEED,
    Desk,
    audible,
    music,
    tone,
    tones_heard,
)


@pytest.fixture
async def desk(app_factory: AppFactory, tmp_path: Path) -> AsyncIterator[Desk]:
    async with app_factory(speed=SPEED) as app:
        d = Desk(app, tmp_path, aiohttp.ClientSession())
        try:
            await d.add_agent("desk-1", "王敏", DESK, {"emergency_order": 4, "mandarin": 3})
            await d.add_user("wangmin", ["agent"], "desk-1")
            await d.add_user("lina", ["agent"], "gen-1")
            await d.add_user("sue", ["supervisor"])
            d.switch.set_moh_music("default", music(tmp_path))
            yield d
        finally:
            await d.aclose()


def agents(tmp: Path) -> dict[str, EndpointBehavior]:
    return {
        DESK: EndpointBehavior(answer_after_s=1, speak=tone(tmp / "desk.wav", AGENT_HZ, 120)),
        GENERAL: EndpointBehavior(answer_after_s=1, speak=tone(tmp / "b.wav", AGENT_B_HZ, 120)),
    }


async def test_hold_plays_music_to_the_client_and_resume_brings_the_agent_back(
    desk: Desk, tmp_path: Path
) -> None:
    driver = await desk.connected_call(agents(tmp_path))
    key, caller = driver.channel_id, driver.channel_id
    talking = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *talking)) == {AGENT_HZ}

    status, body = await desk.api("POST", f"/api/calls/{key}/hold", "wangmin")
    assert (status, body["on_hold"]) == (200, True)
    held = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *held)) == {MUSIC_HZ}
    agent_heard = tones_heard(desk.switch, desk.agent_leg(key), *held)
    assert audible(agent_heard) == set()  # the agent does not hear the client meanwhile

    status, body = await desk.api("POST", f"/api/calls/{key}/hold", "wangmin")
    assert (status, body["error"]) == (409, "call-control-refused")
    status, body = await desk.api("POST", f"/api/calls/{key}/resume", "sue")
    assert (status, body["on_hold"]) == (200, False)
    resumed = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *resumed)) == {AGENT_HZ}
    assert audible(tones_heard(desk.switch, desk.agent_leg(key), *resumed)) == {CALLER_HZ}

    status, body = await desk.api("GET", f"/api/calls/{key}/control/audit", "sue")
    assert status == 200
    assert [(a["actor"], a["role"], a["action"], a["agent_id"]) for a in body["audit"]] == [
        ("wangmin", "agent", "hold", "desk-1"),
        ("sue", "supervisor", "resume", "desk-1"),
    ]
    driver.hang_up()
    await driver.ended(timeout_s=60)


async def test_blind_transfer_keeps_the_emergency_class_ahead_of_normal_callers(
    desk: Desk, tmp_path: Path
) -> None:
    store = desk.app.queue_store
    driver = await desk.connected_call(agents(tmp_path))
    key = driver.channel_id
    first_leg = desk.agent_leg(key)
    before = await store.get_call(CallKey(key))
    assert before is not None
    now = desk.app.clock.now_s()
    for n, waited_s in (("n1", 600.0), ("n2", 300.0)):  # normal callers who waited longer
        await store.enqueue(CallKey(n), "general", PriorityClass.NORMAL, now - waited_s, {})

    status, body = await desk.api(
        "POST", f"/api/calls/{key}/transfer", "wangmin", {"to": "queue", "queue": "general"}
    )
    assert (status, body["queue"], body["priority"]) == (200, "general", "emergency")
    after = await store.get_call(CallKey(key))
    assert after is not None
    assert (after.queue, after.priority, after.state) == (
        "general", PriorityClass.EMERGENCY, QueueCallState.WAITING
    )  # fmt: skip
    assert after.enqueued_at_s == before.enqueued_at_s  # the wait goes on
    assert after.info == before.info  # the screen pop (IVR context) rides along
    line = [str(c.call_id) for c in await store.waiting_calls(["general"])]
    assert line == [key, "n1", "n2"]
    desk_agent = await store.get_agent("desk-1")  # type: ignore[arg-type]
    assert desk_agent is not None
    assert desk_agent.call_id is None  # released to wrap-up

    gone = desk.switch.channels.get(first_leg)  # type: ignore[call-overload]
    assert gone is None or gone.hung_up  # the desk agent's leg was hung up
    await desk.add_agent("gen-1", "李娜", GENERAL, {"mandarin": 2, "general": 2})
    await until(
        lambda: desk.app.handoff.held(key) is not None and desk.state(key).phase is Phase.BRIDGED,
        timeout_s=30, what="the general agent took the call",
    )  # fmt: skip
    assert str(desk.state(key).agent.agent_id) == "gen-1"  # type: ignore[union-attr]
    talking = await desk.talk(3)
    assert audible(tones_heard(desk.switch, driver.channel_id, *talking)) == {AGENT_B_HZ}

    status, body = await desk.api("GET", f"/api/calls/{key}/control/audit", "sue")
    assert [(a["action"], a["target"], a["agent_id"]) for a in body["audit"]] == [
        ("transfer", "queue:general", "desk-1")
    ]
    driver.hang_up()
    await driver.ended(timeout_s=60)


async def test_a_recorded_call_transferred_twice_keeps_every_part_sealed_and_linked(
    desk: Desk, tmp_path: Path
) -> None:
    driver = await desk.connected_call(agents(tmp_path))
    key = driver.channel_id
    session = driver.session
    await desk.talk(2)
    move = {"to": "queue", "queue": "general"}
    assert (await desk.api("POST", f"/api/calls/{key}/transfer", "wangmin", move))[0] == 200
    await desk.add_agent("gen-1", "李娜", GENERAL, {"mandarin": 2, "general": 2})
    await until(
        lambda: desk.app.handoff.held(key) is not None and desk.state(key).phase is Phase.BRIDGED,
        timeout_s=30, what="the general agent took the call",
    )  # fmt: skip
    await desk.talk(2)
    status, _ = await desk.api("POST", f"/api/calls/{key}/hold", "lina")
    assert status == 200
    await desk.talk(2)
    back = {"to": "queue", "queue": "trading_desk"}
    assert (await desk.api("POST", f"/api/calls/{key}/transfer", "lina", back))[0] == 200
    await desk.talk(2)
    driver.hang_up()
    transcript = await driver.ended(timeout_s=60)

    recordings = desk.app.recordings
    parts = sorted(await recordings.search(call_id=session.call_id), key=lambda r: r.id)
    whole = [p for p in parts if p.purpose == "emergency"]
    assert whole
    assert {(p.status.value, p.source.value) for p in whole} == {("sealed", "snoop")}
    assert {p.covers_from for p in whole} == {whole[0].covers_from}  # one call, linked
    assert transcript.ended_s is not None
    call_s = transcript.ended_s - (transcript.answered_s or transcript.started_s)
    assert abs(sum((p.duration_ms or 0) for p in whole) / 1000 - call_s) <= 1.0
    assert await recordings.verify() == []
    [coverage] = await recordings.coverage()
    assert coverage.ratio >= 0.95
    audit = await desk.api("GET", f"/api/calls/{key}/control/audit", "sue")
    assert [(a["actor"], a["action"], a["target"]) for a in audit[1]["audit"]] == [
        ("wangmin", "transfer", "queue:general"),
        ("lina", "hold", "general"),
        ("lina", "transfer", "queue:trading_desk"),
    ]
