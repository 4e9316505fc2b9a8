"""The sandbox switch's ARI REST handlers: route table key -> function on the `Switchboard`.

Role: `HANDLERS` answer with a status and a JSON body (or a ready `web.Response` for a file);
`ACTIONS` answer 204 No Content. Keys are the `(method, path template)` of `routes.TABLE`;
`server.py` checks the route and its parameters before calling one, and turns an
`AriErrorReply` into Asterisk's error body.

Rules: each entry only picks parameters and calls one switch operation; no HTTP parsing here.
`p` is the flattened query (`p["__variables__"]` the JSON body's channel variables), `pp` the
path parameters, `lists` the multi-valued parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ivr.sandbox.board import Switchboard

Result = tuple[int, Any]
P = dict[str, str]
L = dict[str, list[str]]
Handler = Callable[[Switchboard, P, P, L], Result]
Action = Callable[[Switchboard, P, P, L], None]


def _vars(p: P) -> P:
    data: P = json.loads(p.get("__variables__", "{}"))
    return data


def _ok(body: Any) -> Result:
    return 200, body


def _play_channel(s: Switchboard, pp: P, p: P, lists: L) -> Result:
    channel = s.controllable(pp["channelId"])
    pid = pp.get("playbackId") or p.get("playbackId")
    return 201, s.player.play(channel, lists["media"], p.get("lang"), pid)


def _play_bridge(s: Switchboard, pp: P, p: P, lists: L) -> Result:
    bridge = s.bridging.bridge(pp["bridgeId"])
    return 201, s.player.play(bridge, lists["media"], p.get("lang"), p.get("playbackId"))


def _record_channel(s: Switchboard, pp: P, p: P, lists: L) -> Result:
    channel = s.control(pp["channelId"])
    return 201, s.recorder.record(f"channel:{channel.id}", channel.app or "", p)


def _record_bridge(s: Switchboard, pp: P, p: P, lists: L) -> Result:
    bridge = s.bridging.bridge(pp["bridgeId"])
    return 201, s.recorder.record(f"bridge:{bridge.id}", bridge.app, p)


def _recording_file(s: Switchboard, pp: P, p: P, lists: L) -> Result:
    path = s.recorder.stored_path(pp["recordingName"])
    return 200, web.Response(body=path.read_bytes(), content_type="audio/wav")


def _delete_stored(s: Switchboard, pp: P, p: P, lists: L) -> None:
    s.recorder.stored_path(pp["recordingName"]).unlink()


def _create_bridge(s: Switchboard, pp: P, p: P, lists: L) -> Result:
    apps = sorted(s.hub.registered)
    return 200, s.bridging.create_bridge(p, apps[0] if apps else s.config.stasis_app)


def _channel_json(s: Switchboard, channel_id: str) -> Any:
    return s.channel(channel_id).to_json()


HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/asterisk/info"): lambda s, pp, p, lists: _ok(s.asterisk_info()),
    ("GET", "/asterisk/ping"): lambda s, pp, p, lists: _ok(s.ping()),
    ("GET", "/applications"): lambda s, pp, p, lists: _ok(s.applications()),
    ("GET", "/applications/{applicationName}"): lambda s, pp, p, lists: _ok(
        s.application(pp["applicationName"])
    ),
    ("GET", "/channels"): lambda s, pp, p, lists: _ok([c.to_json() for c in s.channels.values()]),
    ("POST", "/channels"): lambda s, pp, p, lists: _ok(s.channel_ops.originate(p, _vars(p))),
    ("POST", "/channels/create"): lambda s, pp, p, lists: _ok(s.channel_ops.create(p, _vars(p))),
    ("GET", "/channels/{channelId}"): lambda s, pp, p, lists: _ok(
        _channel_json(s, pp["channelId"])
    ),
    ("POST", "/channels/{channelId}/play"): _play_channel,
    ("POST", "/channels/{channelId}/play/{playbackId}"): _play_channel,
    ("POST", "/channels/{channelId}/record"): _record_channel,
    ("GET", "/channels/{channelId}/variable"): lambda s, pp, p, lists: _ok(
        s.channel_ops.get_variable(pp["channelId"], p["variable"])
    ),
    ("POST", "/channels/{channelId}/snoop"): lambda s, pp, p, lists: _ok(
        s.channel_ops.snoop(pp["channelId"], p, p.get("snoopId"))
    ),
    ("POST", "/channels/{channelId}/snoop/{snoopId}"): lambda s, pp, p, lists: _ok(
        s.channel_ops.snoop(pp["channelId"], p, pp["snoopId"])
    ),
    ("POST", "/channels/externalMedia"): lambda s, pp, p, lists: _ok(s.router.external_media(p)),
    ("GET", "/playbacks/{playbackId}"): lambda s, pp, p, lists: _ok(
        s.player.get_playback(pp["playbackId"])
    ),
    ("GET", "/bridges"): lambda s, pp, p, lists: _ok([b.to_json() for b in s.bridges.values()]),
    ("POST", "/bridges"): _create_bridge,
    ("GET", "/bridges/{bridgeId}"): lambda s, pp, p, lists: _ok(
        s.bridging.bridge(pp["bridgeId"]).to_json()
    ),
    ("POST", "/bridges/{bridgeId}/record"): _record_bridge,
    ("POST", "/bridges/{bridgeId}/play"): _play_bridge,
    ("GET", "/recordings/stored"): lambda s, pp, p, lists: _ok(s.recorder.stored_recordings()),
    ("GET", "/recordings/stored/{recordingName}"): lambda s, pp, p, lists: _ok(
        {"name": s.recorder.stored_path(pp["recordingName"]).stem, "format": "wav"}
    ),
    ("GET", "/recordings/stored/{recordingName}/file"): _recording_file,
    ("GET", "/recordings/live/{recordingName}"): lambda s, pp, p, lists: _ok(
        s.recorder.live_recording(pp["recordingName"]).to_json()
    ),
}

# Routes answering 204 No Content.
ACTIONS: dict[tuple[str, str], Action] = {
    ("DELETE", "/recordings/stored/{recordingName}"): _delete_stored,
    ("DELETE", "/channels/{channelId}"): lambda s, pp, p, lists: s.channel_ops.hangup_rest(
        pp["channelId"], p.get("reason"), p.get("reason_code")
    ),
    ("POST", "/channels/{channelId}/answer"): lambda s, pp, p, lists: s.channel_ops.answer(
        pp["channelId"]
    ),
    ("POST", "/channels/{channelId}/ring"): lambda s, pp, p, lists: s.channel_ops.ring(
        pp["channelId"]
    ),
    ("DELETE", "/channels/{channelId}/ring"): lambda s, pp, p, lists: s.channel_ops.ring(
        pp["channelId"]
    ),
    ("POST", "/channels/{channelId}/moh"): lambda s, pp, p, lists: s.channel_ops.moh(
        pp["channelId"], p.get("mohClass")
    ),
    ("DELETE", "/channels/{channelId}/moh"): lambda s, pp, p, lists: s.channel_ops.stop_moh(
        pp["channelId"]
    ),
    ("POST", "/channels/{channelId}/hold"): lambda s, pp, p, lists: s.channel_ops.hold(
        pp["channelId"], True
    ),
    ("DELETE", "/channels/{channelId}/hold"): lambda s, pp, p, lists: s.channel_ops.hold(
        pp["channelId"], False
    ),
    ("POST", "/channels/{channelId}/dtmf"): lambda s, pp, p, lists: s.channel_ops.send_dtmf(
        pp["channelId"], p.get("dtmf")
    ),
    ("POST", "/channels/{channelId}/variable"): lambda s, pp, p, lists: s.channel_ops.set_variable(
        pp["channelId"], p["variable"], p.get("value", "")
    ),
    ("POST", "/channels/{channelId}/continue"): lambda s, pp, p, lists: (
        s.channel_ops.continue_in_dialplan(pp["channelId"])
    ),
    ("POST", "/channels/{channelId}/dial"): lambda s, pp, p, lists: s.channel_ops.dial(
        pp["channelId"], int(p.get("timeout", "0") or 0)
    ),
    ("DELETE", "/playbacks/{playbackId}"): lambda s, pp, p, lists: s.player.stop_playback(
        pp["playbackId"]
    ),
    ("DELETE", "/bridges/{bridgeId}"): lambda s, pp, p, lists: s.bridging.destroy_bridge(
        pp["bridgeId"]
    ),
    ("POST", "/bridges/{bridgeId}/addChannel"): lambda s, pp, p, lists: s.bridging.add_to_bridge(
        pp["bridgeId"], lists["channel"]
    ),
    ("POST", "/bridges/{bridgeId}/removeChannel"): lambda s, pp, p, lists: (
        s.bridging.remove_from_bridge(pp["bridgeId"], lists["channel"])
    ),
    ("POST", "/bridges/{bridgeId}/moh"): lambda s, pp, p, lists: s.bridging.bridge_moh(
        pp["bridgeId"], p.get("mohClass")
    ),
    ("DELETE", "/bridges/{bridgeId}/moh"): lambda s, pp, p, lists: s.bridging.bridge_stop_moh(
        pp["bridgeId"]
    ),
    ("DELETE", "/recordings/live/{recordingName}"): lambda s, pp, p, lists: (
        s.recorder.stop_recording(pp["recordingName"], cancel=True)
    ),
    ("POST", "/recordings/live/{recordingName}/stop"): lambda s, pp, p, lists: (
        s.recorder.stop_recording(pp["recordingName"])
    ),
}
