"""Warm transfer (completed, cancelled), three-way conference and blind transfer to an outside
number, end to end; who hears whom from the sandbox's media model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from ivr.sandbox import EndpointBehavior
from ivr.sandbox.model import ChannelId
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
    SUPERVISOR_HZ,
    Desk,
    audible,
    music,
    tone,
    tones_heard,
)

OUTSIDE = "PJSIP/13912345678"  # calls.outbound_dial is PJSIP/{number}


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


def phones(tmp: Path) -> dict[str, EndpointBehavior]:
    return {
        DESK: EndpointBehavior(answer_after_s=1, speak=tone(tmp / "desk.wav", AGENT_HZ, 120)),
        GENERAL: EndpointBehavior(answer_after_s=1, speak=tone(tmp / "b.wav", AGENT_B_HZ, 120)),
        OUTSIDE: EndpointBehavior(answer_after_s=1, speak=tone(tmp / "o.wav", SUPERVISOR_HZ, 120)),
    }


async def phase(desk: Desk, key: str, wanted: str) -> bool:
    """The call's transfer is in phase `wanted` (as the API shows it)."""
    status, body = await desk.api("GET", f"/api/calls/{key}/control", "sue")
    assert status == 200, body
    return bool((body["transfer"] or {}).get("phase") == wanted)


def gone(desk: Desk, channel: str) -> bool:
    found = desk.switch.channels.get(ChannelId(channel))
    return found is None or found.hung_up


async def consulting(desk: Desk, key: str) -> str:
    """Agent A consults agent B (gen-1): returns B's leg once they talk."""
    await desk.add_agent("gen-1", "李娜", GENERAL, {"mandarin": 2, "general": 2})
    status, body = await desk.api(
        "POST", f"/api/calls/{key}/consult", "wangmin", {"to": "agent", "agent_id": "gen-1"}
    )
    assert (status, body["target"], body["phase"]) == (200, "agent:gen-1", "consult_ringing")
    await until(lambda: phase(desk, key, "consulting"), timeout_s=30, what="consulting")
    return f"{key}-xfer-1"


async def test_warm_transfer_completed(desk: Desk, tmp_path: Path) -> None:
    driver = await desk.connected_call(phones(tmp_path))
    key = caller = driver.channel_id
    agent = desk.agent_leg(key)
    b = await consulting(desk, key)
    talk = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *talk)) == {MUSIC_HZ}
    assert audible(tones_heard(desk.switch, agent, *talk)) == {AGENT_B_HZ}
    assert audible(tones_heard(desk.switch, b, *talk)) == {AGENT_HZ}
    gen = await desk.app.queue_store.get_agent("gen-1")  # type: ignore[arg-type]
    assert gen is not None
    assert (gen.state.value, gen.reason) == ("not_ready", "transfer")

    status, body = await desk.api("POST", f"/api/calls/{key}/consult/complete", "wangmin")
    assert (status, body["phase"]) == (200, "transferred")
    talk = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *talk)) == {AGENT_B_HZ}
    assert audible(tones_heard(desk.switch, b, *talk)) == {CALLER_HZ}
    assert gone(desk, agent)  # agent A left
    desk_agent = await desk.app.queue_store.get_agent("desk-1")  # type: ignore[arg-type]
    assert desk_agent is not None
    assert desk_agent.call_id is None  # A is free (wrap-up)

    driver.hang_up()
    await driver.ended(timeout_s=60)
    await until(lambda: gone(desk, b), timeout_s=30, what="B hung up with the caller")
    gen = await desk.app.queue_store.get_agent("gen-1")  # type: ignore[arg-type]
    assert gen is not None
    assert gen.state.value == "ready"
    status, body = await desk.api("GET", f"/api/calls/{key}/control/audit", "sue")
    assert [(a["actor"], a["action"], a["target"], a["detail"]) for a in body["audit"]] == [
        ("wangmin", "transfer", "agent:gen-1", "consult"),
        ("wangmin", "transfer", "agent:gen-1", "complete"),
    ]


async def test_warm_transfer_cancelled_brings_the_client_back(desk: Desk, tmp_path: Path) -> None:
    driver = await desk.connected_call(phones(tmp_path))
    key = caller = driver.channel_id
    agent = desk.agent_leg(key)
    b = await consulting(desk, key)
    status, body = await desk.api("POST", f"/api/calls/{key}/hold", "wangmin")
    assert (status, body["error"]) == (409, "call-control-refused")  # the transfer first
    status, body = await desk.api("POST", f"/api/calls/{key}/consult/cancel", "wangmin")
    assert (status, body["phase"]) == (200, "ended")
    talk = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *talk)) == {AGENT_HZ}
    assert audible(tones_heard(desk.switch, agent, *talk)) == {CALLER_HZ}
    assert gone(desk, b)
    status, body = await desk.api("GET", f"/api/calls/{key}/control", "wangmin")
    assert (body["on_hold"], body["transfer"]) == (False, None)
    driver.hang_up()
    await driver.ended(timeout_s=60)


async def test_conference_of_three(desk: Desk, tmp_path: Path) -> None:
    driver = await desk.connected_call(phones(tmp_path))
    key = caller = driver.channel_id
    agent = desk.agent_leg(key)
    b = await consulting(desk, key)
    status, body = await desk.api("POST", f"/api/calls/{key}/conference", "sue")
    assert (status, body["phase"]) == (200, "conference")
    talk = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *talk)) == {AGENT_HZ, AGENT_B_HZ}
    assert audible(tones_heard(desk.switch, agent, *talk)) == {CALLER_HZ, AGENT_B_HZ}
    assert audible(tones_heard(desk.switch, b, *talk)) == {CALLER_HZ, AGENT_HZ}
    driver.hang_up()
    await driver.ended(timeout_s=60)
    await until(lambda: gone(desk, b), timeout_s=30, what="B hung up with the caller")


async def test_blind_transfer_to_an_outside_number(desk: Desk, tmp_path: Path) -> None:
    driver = await desk.connected_call(phones(tmp_path))
    key = caller = driver.channel_id
    status, body = await desk.api(
        "POST", f"/api/calls/{key}/transfer", "wangmin", {"to": "number", "number": "139-1234-x"}
    )
    assert (status, body["error"]) == (400, "invalid-phone")
    status, body = await desk.api(
        "POST", f"/api/calls/{key}/transfer", "wangmin",
        {"to": "number", "number": "139 1234 5678"},
    )  # fmt: skip
    assert (status, body["target"], body["phase"]) == (
        200,
        "number:+86139****5678",
        "blind_ringing",
    )
    await until(lambda: phase(desk, key, "transferred"), timeout_s=30, what="outside answered")
    talk = await desk.talk(3)
    assert audible(tones_heard(desk.switch, caller, *talk)) == {SUPERVISOR_HZ}
    driver.hang_up()
    await driver.ended(timeout_s=60)
