"""Events websockets: lost events while disconnected, resync, ApplicationReplaced, agents."""

from __future__ import annotations

import itertools
from pathlib import Path

import aiohttp
import pytest

from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch, scenario_from_dict
from tests.helpers import until
from tests.integration.sandbox.conftest import SPEED, Ari

CALLER = {"dialed": "100", "caller": "5550100"}


async def test_events_lost_while_disconnected_then_resync(switch: SandboxSwitch, ari: Ari) -> None:
    events = await ari.events()
    call = await switch.place_call(
        scenario_from_dict(
            {**CALLER, "steps": [{"wait_for": "answer"}, {"wait": 10}, {"press": "3"}]}
        )
    )
    channel = (await events.next("StasisStart"))["channel"]["id"]
    await switch.drop_websockets()
    await until(lambda: events.ws.closed, what="events socket closed by the switch")
    # REST still works while disconnected; the answer's ChannelStateChange is lost.
    assert (await ari.req("POST", f"/channels/{channel}/answer"))[0] == 204
    status, _ = await ari.req(
        "POST", "/channels", endpoint="Local/100@ivr-in", context="caller-script", extension="s"
    )
    assert status == 200  # ... but the new call fails at Stasis(): no channel survives
    listed = [c["name"] for c in (await ari.req("GET", "/channels"))[1]]
    assert listed == ["Local/100@ivr-in-00000000;1", "Local/100@ivr-in-00000000;2"]
    assert switch.hub.lost >= 1
    again = await ari.events()
    app = (await ari.req("GET", "/applications/futures-ivr"))[1]
    assert (app["channel_ids"], app["bridge_ids"]) == ([channel], [])
    dtmf = await again.next("ChannelDtmfReceived")  # events flow again, nothing replayed
    assert again.types() == ["ChannelDtmfReceived"]
    assert dtmf["digit"] == "3"
    assert not call.done


async def test_second_socket_replaces_the_first(switch: SandboxSwitch, ari: Ari) -> None:
    first = await ari.events()
    await switch.place_call(scenario_from_dict(CALLER))
    channel = (await first.next("StasisStart"))["channel"]["id"]
    second = await ari.events()
    replaced = await first.next("ApplicationReplaced")
    assert replaced["application"] == "futures-ivr"
    await ari.req("POST", f"/channels/{channel}/answer")
    await second.next("ChannelStateChange")
    assert first.types() == ["StasisStart", "ApplicationReplaced"]
    assert not first.ws.closed  # stays open, receives nothing more


@pytest.mark.parametrize(
    ("behavior", "dialstatuses", "cause"),
    [
        (EndpointBehavior(answer_after_s=2), ["", "ANSWER"], None),
        (EndpointBehavior(never_answer=True), ["", "NOANSWER"], 19),
        (EndpointBehavior(busy=True), ["", "BUSY"], 17),
    ],
    ids=["answer-after-2s", "never-answer", "busy"],
)
async def test_agent_endpoints(
    switch: SandboxSwitch,
    ari: Ari,
    behavior: EndpointBehavior,
    dialstatuses: list[str],
    cause: int | None,
) -> None:
    switch.endpoints["PJSIP/8001"] = behavior
    events = await ari.events()
    t0 = switch.clock.now_s()
    status, body = await ari.req(
        "POST", "/channels", endpoint="PJSIP/8001", app="futures-ivr", channelId="ag", timeout=5
    )
    assert (status, body["state"]) == (200, "Down")
    final = "StasisStart" if cause is None else "ChannelDestroyed"
    end = await events.next(final)
    elapsed_s = switch.clock.now_s() - t0
    dials = [e for e in events.received if e["type"] == "Dial"]
    assert [d["dialstatus"] for d in dials] == dialstatuses
    assert dials[0]["dialstring"] == "8001"
    if cause is None:
        assert 2.0 <= elapsed_s < 10.0
        assert end["channel"]["state"] == "Up"
    else:
        assert end["cause"] == cause
        assert (await ari.req("GET", "/channels/ag"))[0] == 404
    if behavior.never_answer:
        assert elapsed_s >= 5.0  # the originate timeout


async def test_scenario_endpoints_and_http_scenario_api(switch: SandboxSwitch, ari: Ari) -> None:
    events = await ari.events()
    scenario = {
        **CALLER,
        "steps": [{"wait_for": "prompt_end"}, {"press": "9"}, {"hangup": True}],
        "endpoints": {"PJSIP/8003": {"busy": True}},
    }
    url = f"{switch.ari_url}/sandbox/calls"
    async with ari.session.post(url, json=scenario) as resp:
        assert resp.status == 401
    async with ari.session.post(
        url, json={"dialed": 5, "steps": [{"jump": 1}]}, headers=ari.headers
    ) as resp:
        body = await resp.json()
        assert (resp.status, body["error"]) == (400, "bad-scenario")
        assert (
            body["message"]
            == "<request>:1:1: unknown step 'jump' (known: wait, press, speak, wait_for, hangup)"
        )
    async with ari.session.post(url, json=scenario, headers=ari.headers) as resp:
        assert resp.status == 201
        call_id = (await resp.json())["call_id"]
    assert switch.endpoints["PJSIP/8003"].busy
    channel = (await events.next("StasisStart"))["channel"]["id"]
    assert channel == call_id
    await ari.req("POST", f"/channels/{channel}/play", media="sound:short")
    async with ari.session.get(
        f"{url}/{call_id}", params={"wait": "5"}, headers=ari.headers
    ) as resp:
        transcript = await resp.json()
    assert transcript["finished"] is True
    assert transcript["heard"] == ["sound:short"]
    assert transcript["pressed"][0]["digits"] == "9"
    assert (transcript["ended_by"], transcript["outcome"]) == ("caller", "caller hung up")
    assert [e["type"] for e in transcript["events"]][:2] == ["StasisStart", "PlaybackStarted"]
    async with ari.session.get(f"{url}/nope", headers=ari.headers) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"] == "call-not-found"


async def test_dtmf_spacing_in_switch_time(sounds_dir: Path) -> None:
    config = SandboxConfig(speed=SPEED, sounds_dir=sounds_dir)
    async with SandboxSwitch(config) as slow, aiohttp.ClientSession() as session:
        events = await Ari(session, slow.ari_url).events()
        await slow.place_call(scenario_from_dict({**CALLER, "steps": [{"press": "1234"}]}))
        for _ in range(4):
            await events.next("ChannelDtmfReceived")
        await events.close()
    times = [e["timestamp"] for e in events.received if e["type"] == "ChannelDtmfReceived"]
    ms = [int(t[17:19]) * 1000 + int(t[20:23]) for t in times]
    gaps = [(b - a) % 60000 for a, b in itertools.pairwise(ms)]
    assert all(199 <= g <= 201 for g in gaps), gaps  # 100 ms tone + 100 ms gap (switch time)


async def test_websocket_requires_app(switch: SandboxSwitch, ari: Ari) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
        await ari.session.ws_connect(f"{ari.base}/ari/events", headers=ari.headers)
    assert exc.value.status == 400
