"""Supervisor monitoring end to end: who hears whom, from the sandbox's media model.

- listen: the supervisor hears the client and the agent; neither hears the supervisor;
- whisper: the agent hears the supervisor, the client does not;
- barge: all three hear each other;
- each session audited (who, whom, when, mode), stopped over the API or when the supervisor
  hangs up; agents see that they are monitored only if `calls.monitor_visible` allows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from ivr.sandbox import EndpointBehavior
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.control.desk import (
    AGENT_HZ,
    CALLER_HZ,
    DESK,
    SPEED,
    SUPERVISOR_HZ,
    SUPERVISOR_PHONE,
    Desk,
    audible,
    tone,
    tones_heard,
)


@pytest.fixture
async def desk(app_factory: AppFactory, tmp_path: Path) -> AsyncIterator[Desk]:
    async with app_factory(speed=SPEED, IVR_CALLS_MONITOR_VISIBLE="false") as app:
        d = Desk(app, tmp_path, aiohttp.ClientSession())
        try:
            await d.add_agent("desk-1", "王敏", DESK, {"emergency_order": 4, "mandarin": 3})
            await d.add_user("wangmin", ["agent"], "desk-1")
            await d.add_user("sue", ["supervisor"])
            yield d
        finally:
            await d.aclose()


def phones(tmp: Path) -> dict[str, EndpointBehavior]:
    return {
        DESK: EndpointBehavior(answer_after_s=1, speak=tone(tmp / "desk.wav", AGENT_HZ, 120)),
        SUPERVISOR_PHONE: EndpointBehavior(
            answer_after_s=1, speak=tone(tmp / "sup.wav", SUPERVISOR_HZ, 120)
        ),
    }


async def monitor(desk: Desk, key: str, mode: str) -> dict[str, str]:
    status, body = await desk.api(
        "POST", f"/api/calls/{key}/monitor", "sue", {"mode": mode, "endpoint": SUPERVISOR_PHONE}
    )
    assert status == 201, body
    session: dict[str, str] = body["monitoring"]
    await until(lambda: live(desk, session["id"]), timeout_s=30, what=f"{mode} is live")
    return session


async def live(desk: Desk, session_id: str) -> bool:
    status, body = await desk.api("GET", "/api/monitoring", "sue")
    assert status == 200
    return any(s["id"] == session_id and s["state"] == "live" for s in body["monitoring"])


async def ended(desk: Desk, session_id: str) -> bool:
    return not await live(desk, session_id)


def heard(desk: Desk, channel: str, stretch: tuple[float, float]) -> set[int]:
    return audible(tones_heard(desk.switch, channel, *stretch))


async def test_listen_whisper_and_barge_reach_exactly_the_right_ears(
    desk: Desk, tmp_path: Path
) -> None:
    driver = await desk.connected_call(phones(tmp_path))
    key, client = driver.channel_id, driver.channel_id
    agent = desk.agent_leg(key)

    listening = await monitor(desk, key, "listen")
    stretch = await desk.talk(3)
    sup = listening["id"] + "-sup"
    assert heard(desk, sup, stretch) == {CALLER_HZ, AGENT_HZ}
    assert heard(desk, agent, stretch) == {CALLER_HZ}
    assert heard(desk, client, stretch) == {AGENT_HZ}
    status, _ = await desk.api("DELETE", f"/api/monitoring/{listening['id']}", "sue")
    assert status == 200

    whispering = await monitor(desk, key, "whisper")
    stretch = await desk.talk(3)
    assert heard(desk, whispering["id"] + "-sup", stretch) == {CALLER_HZ, AGENT_HZ}
    assert heard(desk, agent, stretch) == {CALLER_HZ, SUPERVISOR_HZ}
    assert heard(desk, client, stretch) == {AGENT_HZ}
    status, _ = await desk.api("DELETE", f"/api/monitoring/{whispering['id']}", "sue")
    assert status == 200

    barging = await monitor(desk, key, "barge")
    stretch = await desk.talk(3)
    assert heard(desk, barging["id"] + "-sup", stretch) == {CALLER_HZ, AGENT_HZ}
    assert heard(desk, agent, stretch) == {CALLER_HZ, SUPERVISOR_HZ}
    assert heard(desk, client, stretch) == {AGENT_HZ, SUPERVISOR_HZ}
    desk.switch.hangup(barging["id"] + "-sup")  # the supervisor puts the phone down
    await until(lambda: ended(desk, barging["id"]), timeout_s=30, what="barge over")
    stretch = await desk.talk(2)
    assert heard(desk, client, stretch) == {AGENT_HZ}  # the call goes on

    status, body = await desk.api("GET", "/api/agents/me/monitoring", "wangmin")
    assert (status, body["visible"], body["monitoring"]) == (200, False, [])
    status, body = await desk.api("GET", f"/api/calls/{key}/control/audit", "sue")
    rows = [(a["actor"], a["action"], a["target"], a["agent_id"]) for a in body["audit"]]
    assert rows == [
        ("sue", "monitor_start", "listen", "desk-1"),
        ("sue", "monitor_stop", "listen", "desk-1"),
        ("sue", "monitor_start", "whisper", "desk-1"),
        ("sue", "monitor_stop", "whisper", "desk-1"),
        ("sue", "monitor_start", "barge", "desk-1"),
        ("sue", "monitor_stop", "barge", "desk-1"),
    ]
    assert [a["detail"].split(" ", 1)[1] for a in body["audit"][1::2]] == [
        "stopped", "stopped", "supervisor_hung_up"
    ]  # fmt: skip
    driver.hang_up()
    await driver.ended(timeout_s=60)
