"""Scenario calls through the sandbox switch: event order as a real Asterisk 22 sends it."""

from __future__ import annotations

import pytest

from ivr.sandbox import EndpointBehavior, SandboxSwitch, ScenarioCall, scenario_from_dict
from tests.helpers import until
from tests.integration.sandbox.conftest import SPEED, Ari, Events


async def answered_call(switch: SandboxSwitch, ari: Ari) -> tuple[Events, ScenarioCall, str]:
    """A scenario call in the app, answered: (its events, the call, its channel id)."""
    events = await ari.events()
    call = await switch.place_call(scenario_from_dict({"dialed": "95555", "caller": "1"}))
    channel_id = (await events.next("StasisStart"))["channel"]["id"]
    await ari.req("POST", f"/channels/{channel_id}/answer")
    return events, call, channel_id


async def test_dialplan_call_event_order_matches_asterisk(switch: SandboxSwitch, ari: Ari) -> None:
    events = await ari.events()
    call = await switch.place_call(
        scenario_from_dict(
            {
                "dialed": "95555",
                "caller": "13800000001",
                "caller_name": "Zhang",
                "language": "zh-CN",
                "steps": [{"wait_for": "prompt_end"}, {"press": "12#"}, {"hangup": True}],
            }
        )
    )
    start = await events.next("StasisStart")
    channel = start["channel"]
    assert start["args"] == []
    assert channel["state"] == "Ring"
    assert channel["name"] == "Local/95555@ivr-in-00000000;2"
    assert channel["caller"] == {"name": "Zhang", "number": "13800000001"}
    assert channel["dialplan"] == {
        "context": "ivr-in",
        "exten": "95555",
        "priority": 2,
        "app_name": "Stasis",
        "app_data": "futures-ivr",
    }
    assert channel["language"] == "zh-CN"
    assert start["application"] == "futures-ivr"
    assert start["asterisk_id"] == "02:fc:00:00:00:01"
    assert (await ari.req("POST", f"/channels/{channel['id']}/answer"))[0] == 204
    status, playback = await ari.req(
        "POST", f"/channels/{channel['id']}/play", media="sound:hello-world", playbackId="pb-1"
    )
    assert (status, playback["state"], playback["target_uri"]) == (
        201,
        "queued",
        f"channel:{channel['id']}",
    )
    transcript = await call.finished(5)
    await events.next("StasisEnd")
    assert events.types() == [
        "StasisStart",
        "ChannelStateChange",
        "PlaybackStarted",
        "PlaybackFinished",
        "ChannelDtmfReceived",
        "ChannelDtmfReceived",
        "ChannelDtmfReceived",
        "ChannelHangupRequest",
        "StasisEnd",
    ]
    finished = events.received[3]["playback"]
    assert (finished["id"], finished["state"], finished["language"]) == ("pb-1", "done", "zh-CN")
    digits = [(e["digit"], e["duration_ms"]) for e in events.received[4:7]]
    assert digits == [("1", 100), ("2", 100), ("#", 100)]
    hangup = events.received[7]
    assert hangup["cause"] == 16
    assert "soft" not in hangup
    assert transcript.heard == ["sound:hello-world"]
    prompt = transcript.prompts[0]
    assert prompt.end_s is not None
    assert 1.5 <= prompt.end_s - prompt.start_s < 5.0  # the 1.5 s file, after its lookup
    assert [p["digits"] for p in transcript.pressed] == ["12#"]
    assert (transcript.ended_by, transcript.cause, transcript.outcome) == (
        "caller",
        16,
        "caller hung up",
    )
    assert (await ari.req("GET", f"/channels/{channel['id']}"))[0] == 404


async def test_rest_hangup_mid_prompt_fails_playback_no_destroyed(
    switch: SandboxSwitch, ari: Ari
) -> None:
    """A prompt still playing at hang-up ends `failed`, before `StasisEnd`."""
    events, call, channel_id = await answered_call(switch, ari)
    await ari.req("POST", f"/channels/{channel_id}/play", media="sound:hello-world")
    await events.next("PlaybackStarted")
    assert (await ari.req("DELETE", f"/channels/{channel_id}"))[0] == 204
    transcript = await call.finished(5)
    await events.next("StasisEnd")
    tail = events.types()[3:]
    assert tail == ["ChannelHangupRequest", "PlaybackFinished", "StasisEnd"]
    request, finished = events.received[3:5]
    assert (request["cause"], request["soft"]) == (32, True)
    assert finished["playback"]["state"] == "failed"
    assert "ChannelDestroyed" not in events.types()
    assert transcript.heard == ["sound:hello-world"]
    assert transcript.prompts[0].outcome == "stopped"
    assert (transcript.ended_by, transcript.outcome) == ("app", "app hung up")
    assert switch.playbacks == {}


async def test_originated_agent_gets_channel_destroyed(switch: SandboxSwitch, ari: Ari) -> None:
    events = await ari.events()
    status, body = await ari.req(
        "POST",
        "/channels",
        endpoint="Local/1234@agent-auto",
        app="futures-ivr",
        appArgs="agent,1234",
        channelId="agent-1",
        timeout=30,
    )
    assert (status, body["id"], body["state"], body["name"]) == (
        200,
        "agent-1",
        "Down",
        "Local/1234@agent-auto-00000000;1",
    )
    start = await events.next("StasisStart")
    assert (start["args"], start["channel"]["state"]) == (["agent", "1234"], "Up")

    def of(channel_id: str, first: int = 0) -> list[str]:
        return [
            e["type"]
            for e in events.received[first:]
            if (e.get("channel") or e.get("peer") or {}).get("id") == channel_id
        ]

    assert of("agent-1") == ["Dial", "ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"]
    assert [e.get("dialstatus") for e in events.received if e["type"] == "Dial"] == ["", "ANSWER"]
    # The ;2 half runs the dialplan: events, but never a StasisStart.
    assert of("agent-1;2") == ["ChannelDialplan", "ChannelStateChange"]
    seen = len(events.received)
    await ari.req("DELETE", "/channels/agent-1")
    await until(lambda: len(of("agent-1;2", seen)) == 3, what="the ;2 half destroyed")
    assert of("agent-1", seen) == [
        "ChannelHangupRequest",
        "StasisEnd",
        "ChannelVarset",
        "ChannelDestroyed",
    ]
    destroyed = next(e for e in events.received[seen:] if e["type"] == "ChannelDestroyed")
    assert (destroyed["cause"], destroyed["cause_txt"]) == (16, "Normal Clearing")
    assert of("agent-1;2", seen) == [
        "ChannelHangupRequest",
        "ChannelHangupRequest",
        "ChannelDestroyed",
    ]


async def test_bridge_enter_leave_and_destroy(switch: SandboxSwitch, ari: Ari) -> None:
    events = await ari.events()
    await switch.place_call(scenario_from_dict({"dialed": "100", "caller": "5550100"}))
    caller = (await events.next("StasisStart"))["channel"]["id"]
    await ari.req("POST", "/channels", endpoint="PJSIP/8001", app="futures-ivr", channelId="ag")
    await events.next("StasisStart")
    status, bridge = await ari.req("POST", "/bridges", type="mixing", bridgeId="br-1", name="q")
    assert (status, bridge["technology"], bridge["channels"]) == (200, "simple_bridge", [])
    assert (await ari.req("POST", "/bridges/br-1/addChannel", channel=f"{caller},ag"))[0] == 204
    assert (await ari.req("GET", "/bridges/br-1"))[1]["channels"] == ["ag", caller]  # newest first
    switch.hangup(caller)  # the caller hangs up while bridged
    await events.next("StasisEnd")
    names = [e["type"] for e in events.received if e.get("channel", {}).get("id") == caller]
    assert names[-4:] == ["ChannelHangupRequest", "ChannelVarset", "ChannelLeftBridge", "StasisEnd"]
    assert (await ari.req("POST", "/bridges/br-1/removeChannel", channel="ag"))[0] == 204
    assert (await ari.req("DELETE", "/bridges/br-1"))[0] == 204  # empty: BridgeDestroyed
    destroyed = await events.next("BridgeDestroyed")
    assert destroyed["bridge"]["channels"] == []
    assert "BridgeCreated" not in events.types()


async def test_scenario_call_fails_while_app_disconnected(switch: SandboxSwitch, ari: Ari) -> None:
    call = await switch.place_call(scenario_from_dict({"dialed": "100", "caller": "1"}))
    transcript = await call.finished(1)
    assert transcript.outcome == "failed: application not connected"
    assert (await ari.req("GET", "/channels"))[1] == []


async def test_continue_moh_and_transcript(switch: SandboxSwitch, ari: Ari) -> None:
    events, call, channel_id = await answered_call(switch, ari)
    assert (await ari.req("POST", f"/channels/{channel_id}/moh", mohClass="queue"))[0] == 204
    assert (await ari.req("DELETE", f"/channels/{channel_id}/moh"))[0] == 204
    await ari.req("POST", f"/channels/{channel_id}/variable", variable="IVR_NODE", value="main")
    assert await ari.req("GET", f"/channels/{channel_id}/variable", variable="IVR_NODE") == (
        200,
        {"value": "main"},
    )
    assert (await ari.req("POST", f"/channels/{channel_id}/continue"))[0] == 204
    transcript = await call.finished(5)
    await events.next("StasisEnd")
    assert events.types()[-2:] == ["ChannelVarset", "StasisEnd"]
    assert transcript.heard == ["moh:queue"]
    assert (transcript.ended_by, transcript.outcome) == ("dialplan", "continued in dialplan")


async def test_a_play_suspends_channel_moh_and_it_does_not_come_back(
    switch: SandboxSwitch, ari: Ari
) -> None:
    events, call, channel_id = await answered_call(switch, ari)
    assert (await ari.req("POST", f"/channels/{channel_id}/moh", mohClass="queue"))[0] == 204
    await ari.req("POST", f"/channels/{channel_id}/play", media="sound:hello-world")
    await events.next("PlaybackFinished", timeout_s=10)
    assert call.transcript.heard == ["moh:queue", "sound:hello-world"]  # no music after it
    assert (await ari.req("POST", f"/channels/{channel_id}/moh", mohClass="queue"))[0] == 204
    await ari.req("DELETE", f"/channels/{channel_id}")
    transcript = await call.finished(5)
    assert transcript.heard == ["moh:queue", "sound:hello-world", "moh:queue"]  # started again


async def test_created_channel_dial_busy(switch: SandboxSwitch, ari: Ari) -> None:
    switch.endpoints["PJSIP/8003"] = EndpointBehavior(busy=True)
    events = await ari.events()
    status, body = await ari.req(
        "POST", "/channels/create", endpoint="PJSIP/8003", app="futures-ivr", channelId="c1"
    )
    assert (status, body["state"]) == (200, "Down")
    assert (await events.next("StasisStart"))["channel"]["id"] == "c1"
    assert (await ari.req("POST", "/channels/c1/dial", timeout=10))[0] == 204
    await events.next("Dial")
    assert (await events.next("Dial"))["dialstatus"] == "BUSY"


async def test_a_person_talks_talk_s_after_being_bridged_then_hangs_up(
    switch: SandboxSwitch, ari: Ari
) -> None:
    """`talk_s`: the phone answers at once; its person hangs up that long after it FIRST
    joins a bridge, however long the app took to bridge it."""
    switch.endpoints["PJSIP/8002"] = EndpointBehavior(talk_s=5.0)
    events = await ari.events()
    await ari.req("POST", "/channels", endpoint="PJSIP/8002", app="futures-ivr", channelId="ag")
    await events.next("StasisStart")
    answered_s = switch.clock.now_s()
    with pytest.raises(AssertionError):  # 10 switch seconds up, unbridged: still there
        await events.next("ChannelDestroyed", timeout_s=10.0 / SPEED)
    assert "ag" in switch.channels
    await ari.req("POST", "/bridges", type="mixing", bridgeId="br-2")
    assert (await ari.req("POST", "/bridges/br-2/addChannel", channel="ag"))[0] == 204
    bridged_s = switch.clock.now_s()
    destroyed = await events.next("ChannelDestroyed")
    talked_s = switch.clock.now_s() - bridged_s
    assert (destroyed["channel"]["id"], destroyed["cause"]) == ("ag", 16)
    assert bridged_s - answered_s >= 10.0
    assert 5.0 <= talked_s < 60.0  # (not before; a loaded machine may deliver it late)
