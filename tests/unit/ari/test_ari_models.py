"""ARI JSON -> typed models and events: required fields enforced, extras and new types tolerated."""

from __future__ import annotations

import json
import logging
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.ari import (
    KNOWN_EVENT_TYPES,
    ApplicationReplaced,
    Bridge,
    BridgeId,
    CallerId,
    Channel,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelId,
    ChannelLeftBridge,
    Dial,
    DialplanCEP,
    PlaybackFinished,
    RecordingFinished,
    StasisStart,
    UnknownEvent,
    backoff_delay_s,
    parse_event,
    routing_ids,
)
from ivr.ari._http import ari_root, events_url
from ivr.errors import ConfigError

CHANNEL = {
    "id": "main-213023-l2",
    "name": "Local/100@ivr-in-00000000;2",
    "state": "Ring",
    "protocol_id": "",
    "caller": {"name": "Smoke main", "number": "5550100"},
    "connected": {"name": "Smoke main", "number": "5550100"},
    "accountcode": "",
    "dialplan": {
        "context": "ivr-in",
        "exten": "100",
        "priority": 2,
        "app_name": "Stasis",
        "app_data": "futures-ivr",
    },
    "creationtime": "2026-11-25T21:30:24.796+0000",
    "language": "en",
}
ENVELOPE = {
    "timestamp": "2026-11-25T21:30:24.797+0000",
    "asterisk_id": "02:fc:00:00:00:01",
    "application": "futures-ivr",
}
BRIDGE = {
    "id": "br-213023",
    "technology": "simple_bridge",
    "bridge_type": "mixing",
    "bridge_class": "stasis",
    "creator": "Stasis",
    "name": "smoke",
    "channels": ["agent-213023"],
    "creationtime": "2026-11-25T21:30:32.028+0000",
    "video_mode": "talker",
}


def ev(event_type: str, **fields):
    return {"type": event_type, **ENVELOPE, **fields}


def test_stasis_start_is_fully_typed() -> None:
    event = parse_event(ev("StasisStart", args=["agent", "8001"], channel=CHANNEL))
    assert event == StasisStart(
        application="futures-ivr",
        timestamp=datetime(2026, 11, 25, 21, 30, 24, 797000, tzinfo=UTC),
        asterisk_id="02:fc:00:00:00:01",
        args=("agent", "8001"),
        channel=Channel(
            id=ChannelId("main-213023-l2"),
            name="Local/100@ivr-in-00000000;2",
            state="Ring",
            caller=CallerId(name="Smoke main", number="5550100"),
            connected=CallerId(name="Smoke main", number="5550100"),
            dialplan=DialplanCEP(
                context="ivr-in",
                exten="100",
                priority=2,
                app_name="Stasis",
                app_data="futures-ivr",
            ),
            language="en",
            creationtime=datetime(2026, 11, 25, 21, 30, 24, 796000, tzinfo=UTC),
        ),
    )
    assert event.type == "StasisStart"


def test_extra_fields_are_ignored() -> None:
    channel = {**CHANNEL, "tenantid": "t1", "caller_rdnis": ""}
    event = parse_event(ev("ChannelDtmfReceived", digit="5", duration_ms=100, channel=channel, x=1))
    assert isinstance(event, ChannelDtmfReceived)
    assert (event.digit, event.duration_ms, event.channel.id) == ("5", 100, "main-213023-l2")


def test_unknown_event_type_is_kept_raw() -> None:
    data = ev("ChannelTalkingStarted", channel=CHANNEL)
    event = parse_event(data)
    assert isinstance(event, UnknownEvent)
    assert event.type == "ChannelTalkingStarted"
    assert event.raw == data


@pytest.mark.parametrize(
    ("data", "warning"),
    [
        (
            ev("ChannelDtmfReceived", duration_ms=100, channel=CHANNEL),
            "dropping ARI ChannelDtmfReceived event: missing field 'digit'",
        ),
        (
            ev("StasisEnd", channel={**CHANNEL, "id": 7}),
            "dropping ARI StasisEnd event: field 'channel.id' has type int",
        ),
        (
            ev("ChannelDestroyed", cause=16, channel=CHANNEL),
            "dropping ARI ChannelDestroyed event: missing field 'cause_txt'",
        ),
        (
            ev("StasisStart", channel={k: v for k, v in CHANNEL.items() if k != "caller"}),
            "dropping ARI StasisStart event: missing field 'channel.caller'",
        ),
        ({"no": "type"}, "dropping ARI message without a type: {'no': 'type'}"),
    ],
)
def test_missing_required_fields_drop_the_event_with_a_warning(
    data, warning, caplog: pytest.LogCaptureFixture
) -> None:
    assert parse_event(data) is None
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [warning]


def test_application_replaced_survives_a_bare_envelope() -> None:
    assert parse_event({"type": "ApplicationReplaced"}) == ApplicationReplaced()


def test_destroyed_dial_bridge_recording_fields() -> None:
    destroyed = parse_event(
        ev("ChannelDestroyed", cause=16, cause_txt="Normal Clearing", channel=CHANNEL)
    )
    assert isinstance(destroyed, ChannelDestroyed)
    assert destroyed.cause == 16
    dial = parse_event(ev("Dial", dialstatus="", dialstring="8001", peer=CHANNEL))
    assert isinstance(dial, Dial)
    assert dial.peer.id == "main-213023-l2"
    assert dial.caller is None
    left = parse_event(ev("ChannelLeftBridge", bridge=BRIDGE, channel=CHANNEL))
    assert isinstance(left, ChannelLeftBridge)
    assert left.bridge == Bridge(
        id=BridgeId("br-213023"),
        technology="simple_bridge",
        bridge_type="mixing",
        bridge_class="stasis",
        creator="Stasis",
        name="smoke",
        channels=(ChannelId("agent-213023"),),
        creationtime=datetime(2026, 11, 25, 21, 30, 32, 28000, tzinfo=UTC),
        video_mode="talker",
    )
    rec = {
        "name": "r1",
        "format": "wav",
        "state": "done",
        "target_uri": "channel:c1",
        "duration": 2,
    }
    finished = parse_event(ev("RecordingFinished", recording=rec))
    assert isinstance(finished, RecordingFinished)
    assert (finished.recording.duration_s, finished.recording.target_id) == (2, "c1")


def test_routing_ids_name_the_channel_first() -> None:
    pb = {
        "id": "pb-1",
        "media_uri": "sound:x",
        "target_uri": "channel:c1",
        "state": "done",
    }
    finished = parse_event(ev("PlaybackFinished", playback=pb))
    assert isinstance(finished, PlaybackFinished)
    assert routing_ids(finished) == ("c1", "pb-1")
    left = parse_event(ev("ChannelLeftBridge", bridge=BRIDGE, channel=CHANNEL))
    assert left is not None
    assert routing_ids(left) == ("main-213023-l2", "br-213023")
    dial = parse_event(
        ev("Dial", dialstatus="ANSWER", peer=CHANNEL, caller={**CHANNEL, "id": "c0"})
    )
    assert dial is not None
    assert routing_ids(dial) == ("main-213023-l2", "c0")
    destroyed = parse_event(ev("BridgeDestroyed", bridge=BRIDGE))
    assert destroyed is not None
    assert routing_ids(destroyed) == ("br-213023",)


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(3)
    delays = [
        backoff_delay_s(n, initial_s=0.5, max_s=8.0, min_s=0.05, rng=rng) for n in range(1, 40)
    ]
    caps = [min(8.0, 0.5 * 2 ** (n - 1)) for n in range(1, 40)]
    assert all(0.05 <= d <= max(cap, 0.05) for d, cap in zip(delays, caps, strict=True))
    assert len(set(delays)) == len(delays)
    assert backoff_delay_s(10_000, initial_s=0.5, max_s=8.0, min_s=0.0, rng=rng) <= 8.0


def test_urls_add_ari_and_refuse_credentials() -> None:
    assert str(ari_root("http://127.0.0.1:8088")) == "http://127.0.0.1:8088/ari"
    assert str(ari_root("http://127.0.0.1:8088/ari/")) == "http://127.0.0.1:8088/ari"
    assert str(events_url("https://pbx.example:8089", "futures ivr")) == (
        "wss://pbx.example:8089/ari/events?app=futures+ivr&subscribeAll=false"
    )
    with pytest.raises(ConfigError):
        ari_root("http://127.0.0.1:8088/?api_key=a:b")
    with pytest.raises(ConfigError) as caught:
        ari_root("ws://127.0.0.1:8088")
    assert str(caught.value) == (
        "ARI URL must be Asterisk's HTTP base such as http://127.0.0.1:8088, got scheme 'ws'"
    )


SAMPLES = os.environ.get("IVR_ARI_SAMPLES")


@pytest.mark.skipif(not SAMPLES, reason="set IVR_ARI_SAMPLES to ../shared/ari-samples to run")
def test_every_captured_event_of_a_real_asterisk_parses(caplog: pytest.LogCaptureFixture) -> None:
    folder = Path(str(SAMPLES))
    lines = (folder / "_events.jsonl").read_text().splitlines()
    events = [parse_event(json.loads(line)["ev"]) for line in lines]
    events += [parse_event(json.loads(p.read_text())) for p in folder.glob("[A-Z]*.json")]
    assert None not in events
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    modelled = {e.type for e in events if e is not None and not isinstance(e, UnknownEvent)}
    assert modelled <= KNOWN_EVENT_TYPES
    assert {"StasisStart", "ChannelDtmfReceived", "PlaybackFinished"} <= modelled
