"""Typed ARI resources and events: frozen dataclasses built once from ARI JSON.

Source of truth: Asterisk 22.10.1's api-docs (`channels.json`, `playbacks.json`, `bridges.json`,
`recordings.json`, `applications.json`, `events.json` under `/work/shared/ari-api-docs/`) and the
captures in `/work/shared/ari-samples/`.

Rules:
- This is the only place ARI JSON is read. ARI bodies are mostly snake_case already; names change
  only to carry units (`duration` -> `duration_s`) and typed ids (`ChannelId`, ...).
- Never crash on what Asterisk may add: extra fields are ignored, an unknown event type becomes
  `UnknownEvent`. A field the api-docs mark required but missing or of the wrong type makes the
  resource invalid: REST turns that into an `AriError`, the event parser logs a WARNING and drops
  the event. Envelope fields (`application`, `timestamp`, `asterisk_id`) are lenient, so that an
  `ApplicationReplaced` is never lost to a formatting detail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

log = logging.getLogger(__name__)

ChannelId = NewType("ChannelId", str)
PlaybackId = NewType("PlaybackId", str)
BridgeId = NewType("BridgeId", str)
RecordingName = NewType("RecordingName", str)

Json = Mapping[str, Any]


class ModelError(ValueError):
    """A required field is missing or has the wrong type (`path` names it, e.g. `channel.id`)."""


# ---------------------------------------------------------------- field readers


def _get(d: Json, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise ModelError(f"missing field '{where}{key}'")
    value = d[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ModelError(f"field '{where}{key}' has type {type(value).__name__}")
    return value


def _str(d: Json, key: str, where: str = "") -> str:
    return str(_get(d, key, str, where))


def _int(d: Json, key: str, where: str = "") -> int:
    return int(_get(d, key, int, where))


def _obj(d: Json, key: str, where: str = "") -> Json:
    value: Json = _get(d, key, dict, where)
    return value


def _opt_str(d: Json, key: str) -> str | None:
    value = d.get(key)
    return value if isinstance(value, str) else None


def _opt_int(d: Json, key: str) -> int | None:
    value = d.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_list(d: Json, key: str, where: str = "") -> tuple[str, ...]:
    items = _get(d, key, list, where)
    if not all(isinstance(i, str) for i in items):
        raise ModelError(f"field '{where}{key}' must be a list of strings")
    return tuple(items)


def parse_time(text: str) -> datetime:
    """Parse ARI's `2026-11-25T21:30:24.796+0000` (ISO 8601, offset without colon)."""
    return datetime.fromisoformat(text)


def _time(d: Json, key: str, where: str = "") -> datetime:
    text = _str(d, key, where)
    try:
        return parse_time(text)
    except ValueError:
        raise ModelError(f"field '{where}{key}' is not a date: {text[:40]!r}") from None


def _opt_time(d: Json, key: str) -> datetime | None:
    text = d.get(key)
    if not isinstance(text, str):
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def target_id(uri: str) -> str:
    """`channel:ID` / `bridge:ID` (a playback or recording target) -> `ID`."""
    return uri.partition(":")[2] if ":" in uri else uri


# ---------------------------------------------------------------- resources


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerId:
    name: str
    number: str

    @staticmethod
    def from_json(d: Json, where: str = "") -> CallerId:
        return CallerId(name=_str(d, "name", where), number=_str(d, "number", where))


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
            context=_str(d, "context", where),
            exten=_str(d, "exten", where),
            priority=_int(d, "priority", where),
            app_name=_opt_str(d, "app_name") or "",
            app_data=_opt_str(d, "app_data") or "",
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
            id=ChannelId(_str(d, "id", where)),
            name=_str(d, "name", where),
            state=_str(d, "state", where),
            caller=CallerId.from_json(_obj(d, "caller", where), f"{where}caller."),
            connected=CallerId.from_json(_obj(d, "connected", where), f"{where}connected."),
            dialplan=DialplanCEP.from_json(_obj(d, "dialplan", where), f"{where}dialplan."),
            language=_str(d, "language", where),
            creationtime=_time(d, "creationtime", where),
            accountcode=_opt_str(d, "accountcode") or "",
            protocol_id=_opt_str(d, "protocol_id") or "",
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
            id=PlaybackId(_str(d, "id", where)),
            media_uri=_str(d, "media_uri", where),
            target_uri=_str(d, "target_uri", where),
            state=_str(d, "state", where),
            language=_opt_str(d, "language"),
            next_media_uri=_opt_str(d, "next_media_uri"),
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
            id=BridgeId(_str(d, "id", where)),
            technology=_str(d, "technology", where),
            bridge_type=_str(d, "bridge_type", where),
            bridge_class=_str(d, "bridge_class", where),
            creator=_str(d, "creator", where),
            name=_str(d, "name", where),
            channels=tuple(ChannelId(c) for c in _str_list(d, "channels", where)),
            creationtime=_opt_time(d, "creationtime"),
            video_mode=_opt_str(d, "video_mode"),
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
            name=RecordingName(_str(d, "name", where)),
            format=_str(d, "format", where),
            target_uri=_str(d, "target_uri", where),
            state=_str(d, "state", where),
            duration_s=_opt_int(d, "duration"),
            talking_duration_s=_opt_int(d, "talking_duration"),
            silence_duration_s=_opt_int(d, "silence_duration"),
            cause=_opt_str(d, "cause"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRecording:
    name: RecordingName
    format: str

    @staticmethod
    def from_json(d: Json, where: str = "") -> StoredRecording:
        return StoredRecording(
            name=RecordingName(_str(d, "name", where)), format=_str(d, "format", where)
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
            name=_str(d, "name", where),
            channel_ids=tuple(ChannelId(c) for c in _str_list(d, "channel_ids", where)),
            bridge_ids=tuple(BridgeId(b) for b in _str_list(d, "bridge_ids", where)),
            endpoint_ids=_str_list(d, "endpoint_ids", where) if "endpoint_ids" in d else (),
            device_names=_str_list(d, "device_names", where) if "device_names" in d else (),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AsteriskPing:
    ping: str
    asterisk_id: str
    timestamp: datetime | None = None

    @staticmethod
    def from_json(d: Json) -> AsteriskPing:
        return AsteriskPing(
            ping=_str(d, "ping"),
            asterisk_id=_str(d, "asterisk_id"),
            timestamp=_opt_time(d, "timestamp"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AsteriskInfo:
    version: str
    entity_id: str
    default_language: str | None = None

    @staticmethod
    def from_json(d: Json) -> AsteriskInfo:
        system = _obj(d, "system")
        config = d.get("config")
        language = _opt_str(config, "default_language") if isinstance(config, dict) else None
        return AsteriskInfo(
            version=_str(system, "version", "system."),
            entity_id=_str(system, "entity_id", "system."),
            default_language=language,
        )


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True, kw_only=True)
class AriEvent:
    """Envelope of every event (api-docs `Message` + `Event`)."""

    application: str = ""
    timestamp: datetime | None = None
    asterisk_id: str | None = None

    @property
    def type(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisStart(AriEvent):
    channel: Channel
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisEnd(AriEvent):
    channel: Channel


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStateChange(AriEvent):
    channel: Channel


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDtmfReceived(AriEvent):
    channel: Channel
    digit: str
    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHangupRequest(AriEvent):
    channel: Channel
    cause: int | None = None
    soft: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDestroyed(AriEvent):
    channel: Channel
    cause: int
    cause_txt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelVarset(AriEvent):
    variable: str
    value: str
    channel: Channel | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEnteredBridge(AriEvent):
    bridge: Bridge
    channel: Channel | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelLeftBridge(AriEvent):
    bridge: Bridge
    channel: Channel


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeDestroyed(AriEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True, kw_only=True)
class Dial(AriEvent):
    peer: Channel
    dialstatus: str
    caller: Channel | None = None
    dialstring: str = ""
    forward: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackStarted(AriEvent):
    playback: Playback


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackFinished(AriEvent):
    playback: Playback


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted(AriEvent):
    recording: LiveRecording


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFinished(AriEvent):
    recording: LiveRecording


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFailed(AriEvent):
    recording: LiveRecording


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationReplaced(AriEvent):
    """Another websocket took our application name: we will receive nothing more."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(AriEvent):
    """An event type this client does not model (kept raw, never an error)."""

    event_type: str
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.event_type


# ---------------------------------------------------------------- event parsing


def _envelope(d: Json) -> dict[str, Any]:
    return {
        "application": _opt_str(d, "application") or "",
        "timestamp": _opt_time(d, "timestamp"),
        "asterisk_id": _opt_str(d, "asterisk_id"),
    }


def _channel(d: Json) -> Channel:
    return Channel.from_json(_obj(d, "channel"))


def _opt_channel(d: Json, key: str) -> Channel | None:
    return Channel.from_json(_obj(d, key), f"{key}.") if d.get(key) is not None else None


def _channel_only(cls: type[StasisEnd] | type[ChannelStateChange]) -> Callable[[Json], AriEvent]:
    return lambda d: cls(**_envelope(d), channel=_channel(d))


def _stasis_start(d: Json) -> AriEvent:
    return StasisStart(
        **_envelope(d),
        channel=_channel(d),
        args=_str_list(d, "args") if "args" in d else (),
        replace_channel=_opt_channel(d, "replace_channel"),
    )


def _dtmf(d: Json) -> AriEvent:
    return ChannelDtmfReceived(
        **_envelope(d),
        channel=_channel(d),
        digit=_str(d, "digit"),
        duration_ms=_int(d, "duration_ms"),
    )


def _hangup_request(d: Json) -> AriEvent:
    soft = d.get("soft")
    return ChannelHangupRequest(
        **_envelope(d),
        channel=_channel(d),
        cause=_opt_int(d, "cause"),
        soft=soft if isinstance(soft, bool) else None,
    )


def _destroyed(d: Json) -> AriEvent:
    return ChannelDestroyed(
        **_envelope(d),
        channel=_channel(d),
        cause=_int(d, "cause"),
        cause_txt=_str(d, "cause_txt"),
    )


def _varset(d: Json) -> AriEvent:
    return ChannelVarset(
        **_envelope(d),
        variable=_str(d, "variable"),
        value=_str(d, "value"),
        channel=_opt_channel(d, "channel"),
    )


def _entered_bridge(d: Json) -> AriEvent:
    return ChannelEnteredBridge(
        **_envelope(d),
        bridge=Bridge.from_json(_obj(d, "bridge")),
        channel=_opt_channel(d, "channel"),
    )


def _left_bridge(d: Json) -> AriEvent:
    return ChannelLeftBridge(
        **_envelope(d), bridge=Bridge.from_json(_obj(d, "bridge")), channel=_channel(d)
    )


def _bridge_destroyed(d: Json) -> AriEvent:
    return BridgeDestroyed(**_envelope(d), bridge=Bridge.from_json(_obj(d, "bridge")))


def _dial(d: Json) -> AriEvent:
    return Dial(
        **_envelope(d),
        peer=Channel.from_json(_obj(d, "peer"), "peer."),
        dialstatus=_str(d, "dialstatus"),
        caller=_opt_channel(d, "caller"),
        dialstring=_opt_str(d, "dialstring") or "",
        forward=_opt_str(d, "forward") or "",
    )


def _playback(cls: type[PlaybackStarted] | type[PlaybackFinished]) -> Callable[[Json], AriEvent]:
    return lambda d: cls(**_envelope(d), playback=Playback.from_json(_obj(d, "playback")))


def _recording(
    cls: type[RecordingStarted] | type[RecordingFinished] | type[RecordingFailed],
) -> Callable[[Json], AriEvent]:
    return lambda d: cls(**_envelope(d), recording=LiveRecording.from_json(_obj(d, "recording")))


_PARSERS: dict[str, Callable[[Json], AriEvent]] = {
    "StasisStart": _stasis_start,
    "StasisEnd": _channel_only(StasisEnd),
    "ChannelStateChange": _channel_only(ChannelStateChange),
    "ChannelDtmfReceived": _dtmf,
    "ChannelHangupRequest": _hangup_request,
    "ChannelDestroyed": _destroyed,
    "ChannelVarset": _varset,
    "ChannelEnteredBridge": _entered_bridge,
    "ChannelLeftBridge": _left_bridge,
    "BridgeDestroyed": _bridge_destroyed,
    "Dial": _dial,
    "PlaybackStarted": _playback(PlaybackStarted),
    "PlaybackFinished": _playback(PlaybackFinished),
    "RecordingStarted": _recording(RecordingStarted),
    "RecordingFinished": _recording(RecordingFinished),
    "RecordingFailed": _recording(RecordingFailed),
    "ApplicationReplaced": lambda d: ApplicationReplaced(**_envelope(d)),
}

KNOWN_EVENT_TYPES = frozenset(_PARSERS)


def parse_event(data: object) -> AriEvent | None:
    """One decoded websocket message -> a typed event, `UnknownEvent`, or None (logged, dropped)."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        log.warning("dropping ARI message without a type: %.80r", data)
        return None
    event_type: str = data["type"]
    parser = _PARSERS.get(event_type)
    if parser is None:
        return UnknownEvent(**_envelope(data), event_type=event_type, raw=data)
    try:
        return parser(data)
    except ModelError as exc:
        log.warning("dropping ARI %s event: %s", event_type, exc)
        return None


def routing_ids(event: AriEvent) -> tuple[str, ...]:
    """Ids an event concerns, most specific first: the dispatcher routes on the first bound one.

    Channel events give the channel id; Dial the peer then the caller; playbacks and recordings
    their target (`channel:ID` -> ID) then their own id; bridge events the channel then the bridge.
    """
    ids: list[str] = []
    channel = getattr(event, "channel", None)
    if isinstance(channel, Channel):
        ids.append(channel.id)
    if isinstance(event, Dial):
        ids.append(event.peer.id)
        if event.caller is not None:
            ids.append(event.caller.id)
    elif isinstance(event, PlaybackStarted | PlaybackFinished):
        ids += [event.playback.target_id, event.playback.id]
    elif isinstance(event, RecordingStarted | RecordingFinished | RecordingFailed):
        ids += [event.recording.target_id, event.recording.name]
    bridge = getattr(event, "bridge", None)
    if isinstance(bridge, Bridge):
        ids.append(bridge.id)
    return tuple(ids)
