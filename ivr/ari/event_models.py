"""Typed ARI events: frozen dataclasses parsed once from websocket messages, and routing ids.

Source of truth: the api-docs `events.json` (`Message` + `Event` and each event type) and the
events a real Asterisk sends (`docs/asterisk-behaviour.md`, "Calls and events").

Rules:
- `parse_event` never crashes on what Asterisk may add: extra fields are ignored, an unknown
  event type becomes `UnknownEvent`. A required field missing or of the wrong type makes the
  event invalid: it is logged (WARNING) and dropped. Envelope fields (`application`,
  `timestamp`, `asterisk_id`) are lenient, so that an `ApplicationReplaced` is never lost to a
  formatting detail.
- `routing_ids` says which call an event belongs to (the dispatcher routes on it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivr.ari.models import (
    Bridge,
    Channel,
    LiveRecording,
    Playback,
)
from ivr.ari.reading import (
    Json,
    ModelError,
    opt_int,
    opt_str,
    opt_time,
    read_int,
    read_obj,
    read_str,
    read_str_list,
)

log = logging.getLogger(__name__)


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


# ---- parsing ----------------------------------------------------------------------------------


def _envelope(d: Json) -> dict[str, Any]:
    return {
        "application": opt_str(d, "application") or "",
        "timestamp": opt_time(d, "timestamp"),
        "asterisk_id": opt_str(d, "asterisk_id"),
    }


def _channel(d: Json) -> Channel:
    return Channel.from_json(read_obj(d, "channel"))


def _opt_channel(d: Json, key: str) -> Channel | None:
    return Channel.from_json(read_obj(d, key), f"{key}.") if d.get(key) is not None else None


def _channel_only(cls: type[StasisEnd] | type[ChannelStateChange]) -> Callable[[Json], AriEvent]:
    return lambda d: cls(**_envelope(d), channel=_channel(d))


def _stasis_start(d: Json) -> AriEvent:
    return StasisStart(
        **_envelope(d),
        channel=_channel(d),
        args=read_str_list(d, "args") if "args" in d else (),
        replace_channel=_opt_channel(d, "replace_channel"),
    )


def _dtmf(d: Json) -> AriEvent:
    return ChannelDtmfReceived(
        **_envelope(d),
        channel=_channel(d),
        digit=read_str(d, "digit"),
        duration_ms=read_int(d, "duration_ms"),
    )


def _hangup_request(d: Json) -> AriEvent:
    soft = d.get("soft")
    return ChannelHangupRequest(
        **_envelope(d),
        channel=_channel(d),
        cause=opt_int(d, "cause"),
        soft=soft if isinstance(soft, bool) else None,
    )


def _destroyed(d: Json) -> AriEvent:
    return ChannelDestroyed(
        **_envelope(d),
        channel=_channel(d),
        cause=read_int(d, "cause"),
        cause_txt=read_str(d, "cause_txt"),
    )


def _varset(d: Json) -> AriEvent:
    return ChannelVarset(
        **_envelope(d),
        variable=read_str(d, "variable"),
        value=read_str(d, "value"),
        channel=_opt_channel(d, "channel"),
    )


def _entered_bridge(d: Json) -> AriEvent:
    return ChannelEnteredBridge(
        **_envelope(d),
        bridge=Bridge.from_json(read_obj(d, "bridge")),
        channel=_opt_channel(d, "channel"),
    )


def _left_bridge(d: Json) -> AriEvent:
    return ChannelLeftBridge(
        **_envelope(d), bridge=Bridge.from_json(read_obj(d, "bridge")), channel=_channel(d)
    )


def _bridge_destroyed(d: Json) -> AriEvent:
    return BridgeDestroyed(**_envelope(d), bridge=Bridge.from_json(read_obj(d, "bridge")))


def _dial(d: Json) -> AriEvent:
    return Dial(
        **_envelope(d),
        peer=Channel.from_json(read_obj(d, "peer"), "peer."),
        dialstatus=read_str(d, "dialstatus"),
        caller=_opt_channel(d, "caller"),
        dialstring=opt_str(d, "dialstring") or "",
        forward=opt_str(d, "forward") or "",
    )


def _playback(cls: type[PlaybackStarted] | type[PlaybackFinished]) -> Callable[[Json], AriEvent]:
    return lambda d: cls(**_envelope(d), playback=Playback.from_json(read_obj(d, "playback")))


def _recording(
    cls: type[RecordingStarted] | type[RecordingFinished] | type[RecordingFailed],
) -> Callable[[Json], AriEvent]:
    return lambda d: cls(
        **_envelope(d), recording=LiveRecording.from_json(read_obj(d, "recording"))
    )


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
    if event is _LAST.event:  # each listener of one event asks (the router, queue, ...)
        return _LAST.ids
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
    _LAST.event, _LAST.ids = event, tuple(ids)
    return _LAST.ids


class _LastRouted:
    """The last event `routing_ids` was asked about, and its ids (events are frozen)."""

    event: AriEvent | None = None
    ids: tuple[str, ...] = ()


_LAST = _LastRouted()
