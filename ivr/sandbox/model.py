"""State objects of the sandbox switch and their ARI JSON (api-docs models).

Role: `Channel`, `Bridge`, `Playback`, `LiveRecording` as the switch holds them, and `to_json()`
in exactly the shape of the api-docs models (`Channel`, `Bridge`, `Playback`, `LiveRecording`)
and of Asterisk's own replies (`docs/asterisk-behaviour.md`, "Calls and events"); `MediaLink`,
the transport of an external media channel.

A bridge's members are its ARI channels (`channels`, oldest first; the JSON lists them newest
first, as Asterisk does) and the switch's own parties (`others`): a bridge recording's
`Recorder/ARI-...;2` and a bridge playback's `Announcer/ARI-...;2`, which count towards the
technology (`simple_bridge` up to two members, `softmix` above) but are no ARI channels
(`docs/asterisk-behaviour.md`, "Bridges").

Rules: plain mutable dataclasses owned by the switch (one event loop, no locks); no I/O.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, NewType

from aiohttp import web

ChannelId = NewType("ChannelId", str)
BridgeId = NewType("BridgeId", str)
PlaybackId = NewType("PlaybackId", str)

Json = dict[str, Any]

CAUSE_TEXT = {
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
    26: "Answered elsewhere",
}
HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "answered_elsewhere": 26,
}


@dataclass(slots=True)
class Channel:
    id: ChannelId
    name: str
    state: str
    creationtime: str
    caller_name: str = ""
    caller_number: str = ""
    connected_name: str = ""
    connected_number: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    language: str = "en"
    channelvars: dict[str, str] | None = None
    # Switch bookkeeping (not in the JSON).
    app: str | None = None  # the application subscribed to this channel's events
    stasis: bool = False  # inside Stasis(app) (REST operations allowed)
    originated: bool = False  # created by the app (REST): gets ChannelDestroyed
    kind: str = "local"  # local | endpoint | snoop | websocket | rtp
    peer_id: ChannelId | None = None  # the other half of a Local pair
    bridge_id: BridgeId | None = None
    variables: dict[str, str] = field(default_factory=dict)
    spied_id: ChannelId | None = None  # snoop: the channel it listens to
    spy: str = "none"
    hung_up: bool = False
    moh_class: str | None = None
    # What the far end sends while not speaking: "none" (a Local channel in Wait()) or
    # "silence" (steady silent frames, like a phone streaming RTP).
    idle_audio: str = "none"
    half: int = 0  # 2: the dialplan half of a Local channel the app originated
    answer_done_s: float = 0.0  # a Local ;2 half: when its Answer() returns (0.5 s after)
    callerid_pending: bool = False  # a Local ;2 half: ChannelCallerId owed after Answer()
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    talk_s: float | None = None  # a phone's person: hangs up this long after first bridged

    def to_json(self, *, with_vars: bool = False) -> Json:
        data: Json = {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": "",
            "caller": {"name": self.caller_name, "number": self.caller_number},
            "connected": {"name": self.connected_name, "number": self.connected_number},
            "accountcode": "",
            "dialplan": {
                "context": self.context,
                "exten": self.exten,
                "priority": self.priority,
                "app_name": self.app_name,
                "app_data": self.app_data,
            },
            "creationtime": self.creationtime,
            "language": self.language,
        }
        if with_vars and self.channelvars is not None:
            data["channelvars"] = dict(self.channelvars)
        return data

    def in_stasis(self) -> bool:
        return self.stasis and not self.hung_up


@dataclass(frozen=True, slots=True)
class Member:
    """A bridge member that is no ARI channel: a recorder or an announcer (prompt or MOH)."""

    key: str  # timeline key: "rec:NAME", "pb:ID", "moh:BRIDGE"
    name: str  # its channel name, e.g. "Recorder/ARI-00000002;2" (BRIDGEPEER shows it)
    uniqueid: str  # its channel id (a bridge snapshot may list it)
    kind: str  # recorder | announcer | moh


@dataclass(slots=True)
class Bridge:
    id: BridgeId
    name: str
    bridge_type: str
    creationtime: str
    app: str
    channels: list[ChannelId] = field(default_factory=list)  # ARI channels, oldest first
    others: list[Member] = field(default_factory=list)  # recorders, announcers, oldest first

    def size(self) -> int:
        return len(self.channels) + len(self.others)

    def to_json(self, *, announcers: bool = False) -> Json:
        """The Bridge model; `announcers`: also list announcers' ids (as `ChannelLeftBridge`
        may, `docs/asterisk-behaviour.md`, "Bridges")."""
        listed = [str(c) for c in reversed(self.channels)]
        if announcers:
            listed += [m.uniqueid for m in self.others if m.kind == "announcer"]
        return {
            "id": self.id,
            "technology": "simple_bridge" if self.size() <= 2 else "softmix",
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": listed,
            "creationtime": self.creationtime,
            "video_mode": "talker",
        }


@dataclass(slots=True)
class Playback:
    id: PlaybackId
    media_uri: str
    target_uri: str
    language: str
    state: str = "queued"
    app: str = ""
    started_s: float | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False  # PlaybackFinished sent (or the playback vanished)
    announcer: Member | None = None  # a bridge playback's announcer while it plays
    listeners: list[str] = field(default_factory=list)  # scenario calls told it started

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "media_uri": self.media_uri,
            "target_uri": self.target_uri,
            "language": self.language,
            "state": self.state,
        }


@dataclass(slots=True)
class LiveRecording:
    name: str
    format: str
    target_uri: str
    app: str
    max_duration_s: int = 0
    max_silence_s: int = 0
    terminate_on: str = "none"
    state: str = "queued"
    duration_s: int | None = None
    started_s: float = 0.0
    recorder: Member | None = None  # a bridge recording's recorder in the bridge
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self) -> Json:
        data: Json = {
            "name": self.name,
            "format": self.format,
            "state": self.state,
            "target_uri": self.target_uri,
        }
        if self.duration_s is not None:
            data["duration"] = self.duration_s
        return data


@dataclass(slots=True)
class MediaLink:
    """A chan_websocket (server mode) or RTP external media channel's transport."""

    channel_id: ChannelId
    fmt: str
    ws: web.WebSocketResponse | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    rtp: asyncio.DatagramTransport | None = None
    rtp_seq: int = 0
    outbox: asyncio.Queue[bytes | str | None] = field(default_factory=asyncio.Queue)
