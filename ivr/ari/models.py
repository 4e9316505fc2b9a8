"""Typed ARI resources: frozen dataclasses built once from ARI JSON.

Source of truth: Asterisk 22.10.1's ARI api-docs (Swagger 1.1: the models of `channels.json`,
`playbacks.json`, `bridges.json`, `recordings.json`, `applications.json`, `asterisk.json`) and
the replies of a real Asterisk (`docs/asterisk-behaviour.md`). Events are `ivr.ari.event_models`.

Rules:
- With `event_models`, this is the only place ARI JSON is read. ARI bodies are mostly snake_case
  already; names change only to carry units (`duration` -> `duration_s`) and typed ids
  (`ChannelId`, ...).
- Never crash on what Asterisk may add: extra fields are ignored. A field the api-docs mark
  required but missing or of the wrong type raises `ModelError` (REST turns that into an
  `AriError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NewType

from ivr.ari.reading import (
    Json,
    opt_int,
    opt_str,
    opt_time,
    read_int,
    read_obj,
    read_str,
    read_str_list,
    read_time,
)

ChannelId = NewType("ChannelId", str)
PlaybackId = NewType("PlaybackId", str)
BridgeId = NewType("BridgeId", str)
RecordingName = NewType("RecordingName", str)


def target_id(uri: str) -> str:
    """`channel:ID` / `bridge:ID` (a playback or recording target) -> `ID`."""
    return uri.partition(":")[2] if ":" in uri else uri


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerId:
    name: str
    number: str

    @staticmethod
    def from_json(d: Json, where: str = "") -> CallerId:
        return CallerId(name=read_str(d, "name", where), number=read_str(d, "number", where))


@dataclass(frozen=True, slots=True, kw_only=True)
class DialplanCEP:
    context: str
    exten: str
    priority: int
    app_name: str = ""
    app_data: str = ""

    @staticmethod
    def from_json(d: Json, where: str = "") -> DialplanCEP:
        return DialplanCEP(
            context=read_str(d, "context", where),
            exten=read_str(d, "exten", where),
            priority=read_int(d, "priority", where),
            app_name=opt_str(d, "app_name") or "",
            app_data=opt_str(d, "app_data") or "",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    id: ChannelId
    name: str
    state: str
    caller: CallerId
    connected: CallerId
    dialplan: DialplanCEP
    language: str
    creationtime: datetime
    accountcode: str = ""
    protocol_id: str = ""
    channelvars: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def from_json(d: Json, where: str = "channel.") -> Channel:
        raw_vars = d.get("channelvars")
        channelvars = (
            {str(k): str(v) for k, v in raw_vars.items()} if isinstance(raw_vars, dict) else {}
        )
        return Channel(
            id=ChannelId(read_str(d, "id", where)),
            name=read_str(d, "name", where),
            state=read_str(d, "state", where),
            caller=CallerId.from_json(read_obj(d, "caller", where), f"{where}caller."),
            connected=CallerId.from_json(read_obj(d, "connected", where), f"{where}connected."),
            dialplan=DialplanCEP.from_json(read_obj(d, "dialplan", where), f"{where}dialplan."),
            language=read_str(d, "language", where),
            creationtime=read_time(d, "creationtime", where),
            accountcode=opt_str(d, "accountcode") or "",
            protocol_id=opt_str(d, "protocol_id") or "",
            channelvars=channelvars,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Playback:
    id: PlaybackId
    media_uri: str
    target_uri: str
    state: str
    language: str | None = None
    next_media_uri: str | None = None

    @property
    def target_id(self) -> str:
        return target_id(self.target_uri)

    @staticmethod
    def from_json(d: Json, where: str = "playback.") -> Playback:
        return Playback(
            id=PlaybackId(read_str(d, "id", where)),
            media_uri=read_str(d, "media_uri", where),
            target_uri=read_str(d, "target_uri", where),
            state=read_str(d, "state", where),
            language=opt_str(d, "language"),
            next_media_uri=opt_str(d, "next_media_uri"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge:
    id: BridgeId
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    channels: tuple[ChannelId, ...]
    creationtime: datetime | None = None
    video_mode: str | None = None

    @staticmethod
    def from_json(d: Json, where: str = "bridge.") -> Bridge:
        return Bridge(
            id=BridgeId(read_str(d, "id", where)),
            technology=read_str(d, "technology", where),
            bridge_type=read_str(d, "bridge_type", where),
            bridge_class=read_str(d, "bridge_class", where),
            creator=read_str(d, "creator", where),
            name=read_str(d, "name", where),
            channels=tuple(ChannelId(c) for c in read_str_list(d, "channels", where)),
            creationtime=opt_time(d, "creationtime"),
            video_mode=opt_str(d, "video_mode"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveRecording:
    name: RecordingName
    format: str
    target_uri: str
    state: str
    duration_s: int | None = None
    talking_duration_s: int | None = None
    silence_duration_s: int | None = None
    cause: str | None = None

    @property
    def target_id(self) -> str:
        return target_id(self.target_uri)

    @staticmethod
    def from_json(d: Json, where: str = "recording.") -> LiveRecording:
        return LiveRecording(
            name=RecordingName(read_str(d, "name", where)),
            format=read_str(d, "format", where),
            target_uri=read_str(d, "target_uri", where),
            state=read_str(d, "state", where),
            duration_s=opt_int(d, "duration"),
            talking_duration_s=opt_int(d, "talking_duration"),
            silence_duration_s=opt_int(d, "silence_duration"),
            cause=opt_str(d, "cause"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRecording:
    name: RecordingName
    format: str

    @staticmethod
    def from_json(d: Json, where: str = "") -> StoredRecording:
        return StoredRecording(
            name=RecordingName(read_str(d, "name", where)), format=read_str(d, "format", where)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Application:
    name: str
    channel_ids: tuple[ChannelId, ...]
    bridge_ids: tuple[BridgeId, ...]
    endpoint_ids: tuple[str, ...] = ()
    device_names: tuple[str, ...] = ()

    @staticmethod
    def from_json(d: Json, where: str = "") -> Application:
        return Application(
            name=read_str(d, "name", where),
            channel_ids=tuple(ChannelId(c) for c in read_str_list(d, "channel_ids", where)),
            bridge_ids=tuple(BridgeId(b) for b in read_str_list(d, "bridge_ids", where)),
            endpoint_ids=read_str_list(d, "endpoint_ids", where) if "endpoint_ids" in d else (),
            device_names=read_str_list(d, "device_names", where) if "device_names" in d else (),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AsteriskPing:
    ping: str
    asterisk_id: str
    timestamp: datetime | None = None

    @staticmethod
    def from_json(d: Json) -> AsteriskPing:
        return AsteriskPing(
            ping=read_str(d, "ping"),
            asterisk_id=read_str(d, "asterisk_id"),
            timestamp=opt_time(d, "timestamp"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AsteriskInfo:
    version: str
    entity_id: str
    default_language: str | None = None

    @staticmethod
    def from_json(d: Json) -> AsteriskInfo:
        system = read_obj(d, "system")
        config = d.get("config")
        language = opt_str(config, "default_language") if isinstance(config, dict) else None
        return AsteriskInfo(
            version=read_str(system, "version", "system."),
            entity_id=read_str(system, "entity_id", "system."),
            default_language=language,
        )
