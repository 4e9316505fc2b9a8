"""State objects of the sandbox switch and their ARI JSON (api-docs models).

Role: `Channel`, `Bridge`, `Playback`, `LiveRecording` as the switch holds them, and `to_json()`
in exactly the shape of the api-docs models (`Channel`, `Bridge`, `Playback`, `LiveRecording`)
and of Asterisk's own replies (`docs/asterisk-behaviour.md`, "Calls and events"); `MediaLink`,
the transport of an external media channel.

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
    media_format: str = ""
    hung_up: bool = False
    moh_class: str | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

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


@dataclass(slots=True)
class Bridge:
    id: BridgeId
    name: str
    bridge_type: str
    creationtime: str
    app: str
    channels: list[ChannelId] = field(default_factory=list)

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "technology": "simple_bridge" if len(self.channels) <= 2 else "softmix",
            "bridge_type": self.bridge_type,
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channels),
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
    # Frame slot (switch time x 50) -> 8 kHz frames heard in that slot (mixed on save).
    slots: dict[int, list[Any]] = field(default_factory=dict)
    last_audio_s: float = 0.0
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
    frames_sent: int = 0
    outbox: asyncio.Queue[bytes | str | None] = field(default_factory=asyncio.Queue)
