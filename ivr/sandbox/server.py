"""HTTP face of the sandbox switch: ARI REST, the events and media websockets, scenario API.

Role: an aiohttp application. `/ari/...` is ARI as Asterisk 22 serves it: Basic auth (or
`api_key=user:pass`), 401 otherwise (REST and websocket alike); the route and its parameters
are checked in ONE place (`routes.match` + `routes.validate`, the table derived from the
api-docs); handlers map onto `SandboxSwitch` methods. `/media/{connection_id}` is
chan_websocket's server-mode media socket (subprotocol `media`, no auth, as in Asterisk).
`/sandbox/calls` places scenario calls over HTTP (same credentials) for `ivr call --scenario`.

Rules: request logs never contain credentials; every REST request is recorded in
`switch.requests`; injected faults (`fail_next`) apply before the handler runs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from ivr.errors import IvrError
from ivr.sandbox import routes
from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.switch import RequestRecord

if TYPE_CHECKING:
    from ivr.sandbox.switch import SandboxSwitch

log = logging.getLogger(__name__)

SWITCH_KEY: web.AppKey[SandboxSwitch] = web.AppKey("sandbox_switch")
Result = tuple[int, Any]
P = dict[str, str]
L = dict[str, list[str]]
Handler = Callable[["SandboxSwitch", P, P, L], Result]
Action = Callable[["SandboxSwitch", P, P, L], None]


def build_app(switch: SandboxSwitch) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[SWITCH_KEY] = switch
    app.router.add_route("*", "/ari/{tail:.*}", ari_entry)
    app.router.add_get("/media/{connection_id}", media_socket)
    app.router.add_post("/sandbox/calls", place_call)
    app.router.add_get("/sandbox/calls", list_calls)
    app.router.add_get("/sandbox/calls/{call_id}", get_call)
    return app


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def _message(status: int, message: str | None) -> web.Response:
    return _json(status, None if message is None else {"message": message})


# ---- authentication ------------------------------------------------------------------------


def authorized(request: web.Request, switch: SandboxSwitch) -> bool:
    expected = f"{switch.config.username}:{switch.config.password}"
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            return base64.b64decode(header[6:], validate=True).decode() == expected
        except (binascii.Error, UnicodeDecodeError):
            return False
    return request.query.get("api_key") == expected


def _unauthorized() -> web.Response:
    return _json(
        401,
        {"message": "Authentication required"},
        {"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'},
    )


# ---- ARI entry point -----------------------------------------------------------------------


async def ari_entry(request: web.Request) -> web.StreamResponse:
    switch = request.app[SWITCH_KEY]
    path = "/" + request.match_info["tail"].strip("/")
    if not authorized(request, switch):
        return _unauthorized()
    found = routes.match(request.method, path)
    if isinstance(found, routes.ParamError):
        return _message(found.status, found.message)
    route, path_params = found
    query, variables = await _parameters(request)
    if isinstance(query, web.Response):
        return query
    checked = routes.validate(route, query, strict=switch.config.strict_params)
    flat = {k: ",".join(v) for k, v in query.items() if k != "api_key"}
    record = RequestRecord(request.method, path, flat)
    switch.requests.append(record)
    if isinstance(checked, routes.ParamError):
        record.status = checked.status
        return _message(checked.status, checked.message)
    if route.path == "/events":
        record.status = 101
        return await events_socket(request, switch, checked)
    response = await _answer(request, switch, route, path_params, checked, variables)
    record.status = response.status
    return response


async def _answer(
    request: web.Request,
    switch: SandboxSwitch,
    route: routes.Route,
    path_params: P,
    checked: L,
    variables: P,
) -> web.Response:
    fault = switch.take_fault(request.method, "/" + request.match_info["tail"].strip("/"))
    if fault is not None:
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.status is not None:
            return _message(fault.status, "Injected failure (sandbox)")
    return _dispatch(switch, route, path_params, checked, variables)


async def _parameters(request: web.Request) -> tuple[L | web.Response, P]:
    """Query parameters, plus those of a JSON body (Asterisk accepts both); body variables."""
    query: L = {}
    for key, value in request.query.items():
        query.setdefault(key, []).append(value)
    variables: P = {}
    if request.can_read_body:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _message(400, "Invalid JSON body"), {}
        if isinstance(body, dict):
            for key, value in body.items():
                if key == "variables" and isinstance(value, dict):
                    variables = {str(k): str(v) for k, v in value.items()}
                else:
                    query.setdefault(key, []).append(str(value))
    return query, variables


def _dispatch(
    switch: SandboxSwitch, route: routes.Route, path_params: P, checked: L, variables: P
) -> web.Response:
    key = (route.method, route.path)
    p = {k: ",".join(v) for k, v in checked.items()}
    p["__variables__"] = json.dumps(variables)
    try:
        if key in ACTIONS:
            ACTIONS[key](switch, path_params, p, checked)
            return _json(204, None)
        status, body = HANDLERS[key](switch, path_params, p, checked)
    except AriErrorReply as exc:
        return _message(exc.status, exc.message)
    if isinstance(body, web.Response):
        return body
    headers = None
    if status == 201 and isinstance(body, dict):
        location = body.get("id") and f"/playbacks/{body['id']}"
        location = location or f"/recordings/live/{body.get('name', '')}"
        headers = {"Location": location}
    return _json(status, body, headers)


def _vars(p: P) -> P:
    data: P = json.loads(p.get("__variables__", "{}"))
    return data


# ---- handlers (route table key -> function) ------------------------------------------------


def _ok(body: Any) -> Result:
    return 200, body


def _play_channel(s: SandboxSwitch, pp: P, p: P, lists: L) -> Result:
    channel = s.controllable(pp["channelId"])
    pid = pp.get("playbackId") or p.get("playbackId")
    return 201, s.player.play(channel, lists["media"], p.get("lang"), pid)


def _play_bridge(s: SandboxSwitch, pp: P, p: P, lists: L) -> Result:
    bridge = s.bridging.bridge(pp["bridgeId"])
    return 201, s.player.play(bridge, lists["media"], p.get("lang"), p.get("playbackId"))


def _record_channel(s: SandboxSwitch, pp: P, p: P, lists: L) -> Result:
    channel = s.control(pp["channelId"])
    return 201, s.recorder.record(f"channel:{channel.id}", channel.app or "", p)


def _record_bridge(s: SandboxSwitch, pp: P, p: P, lists: L) -> Result:
    bridge = s.bridging.bridge(pp["bridgeId"])
    return 201, s.recorder.record(f"bridge:{bridge.id}", bridge.app, p)


def _recording_file(s: SandboxSwitch, pp: P, p: P, lists: L) -> Result:
    path = s.recorder.stored_path(pp["recordingName"])
    return 200, web.Response(body=path.read_bytes(), content_type="audio/wav")


def _delete_stored(s: SandboxSwitch, pp: P, p: P, lists: L) -> None:
    s.recorder.stored_path(pp["recordingName"]).unlink()


def _create_bridge(s: SandboxSwitch, pp: P, p: P, lists: L) -> Result:
    apps = sorted(s.hub.registered)
    return 200, s.bridging.create_bridge(p, apps[0] if apps else s.config.stasis_app)


def _channel_json(s: SandboxSwitch, channel_id: str) -> Any:
    return s.channel(channel_id).to_json()


HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/asterisk/info"): lambda s, pp, p, lists: _ok(s.asterisk_info()),
    ("GET", "/asterisk/ping"): lambda s, pp, p, lists: _ok(s.ping()),
    ("GET", "/applications"): lambda s, pp, p, lists: _ok(s.applications()),
    ("GET", "/applications/{applicationName}"): lambda s, pp, p, lists: _ok(
        s.application(pp["applicationName"])
    ),
    ("GET", "/channels"): lambda s, pp, p, lists: _ok([c.to_json() for c in s.channels.values()]),
    ("POST", "/channels"): lambda s, pp, p, lists: _ok(s.originate(p, _vars(p))),
    ("POST", "/channels/create"): lambda s, pp, p, lists: _ok(s.create(p, _vars(p))),
    ("GET", "/channels/{channelId}"): lambda s, pp, p, lists: _ok(
        _channel_json(s, pp["channelId"])
    ),
    ("POST", "/channels/{channelId}/play"): _play_channel,
    ("POST", "/channels/{channelId}/play/{playbackId}"): _play_channel,
    ("POST", "/channels/{channelId}/record"): _record_channel,
    ("GET", "/channels/{channelId}/variable"): lambda s, pp, p, lists: _ok(
        s.get_variable(pp["channelId"], p["variable"])
    ),
    ("POST", "/channels/{channelId}/snoop"): lambda s, pp, p, lists: _ok(
        s.snoop(pp["channelId"], p, p.get("snoopId"))
    ),
    ("POST", "/channels/{channelId}/snoop/{snoopId}"): lambda s, pp, p, lists: _ok(
        s.snoop(pp["channelId"], p, pp["snoopId"])
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
    ("DELETE", "/channels/{channelId}"): lambda s, pp, p, lists: s.hangup_rest(
        pp["channelId"], p.get("reason"), p.get("reason_code")
    ),
    ("POST", "/channels/{channelId}/answer"): lambda s, pp, p, lists: s.answer(pp["channelId"]),
    ("POST", "/channels/{channelId}/ring"): lambda s, pp, p, lists: s.ring(pp["channelId"]),
    ("DELETE", "/channels/{channelId}/ring"): lambda s, pp, p, lists: s.ring(pp["channelId"]),
    ("POST", "/channels/{channelId}/moh"): lambda s, pp, p, lists: s.moh(
        pp["channelId"], p.get("mohClass")
    ),
    ("DELETE", "/channels/{channelId}/moh"): lambda s, pp, p, lists: s.stop_moh(pp["channelId"]),
    ("POST", "/channels/{channelId}/hold"): lambda s, pp, p, lists: s.hold(pp["channelId"], True),
    ("DELETE", "/channels/{channelId}/hold"): lambda s, pp, p, lists: s.hold(
        pp["channelId"], False
    ),
    ("POST", "/channels/{channelId}/dtmf"): lambda s, pp, p, lists: s.send_dtmf(
        pp["channelId"], p.get("dtmf")
    ),
    ("POST", "/channels/{channelId}/variable"): lambda s, pp, p, lists: s.set_variable(
        pp["channelId"], p["variable"], p.get("value", "")
    ),
    ("POST", "/channels/{channelId}/continue"): lambda s, pp, p, lists: s.continue_in_dialplan(
        pp["channelId"]
    ),
    ("POST", "/channels/{channelId}/dial"): lambda s, pp, p, lists: s.dial(
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


# ---- websockets ----------------------------------------------------------------------------


async def events_socket(
    request: web.Request, switch: SandboxSwitch, params: L
) -> web.StreamResponse:
    apps = tuple(a for a in params.get("app", []) if a)
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    log.info("sandbox events websocket connected apps=%s", ",".join(apps))
    await switch.hub.serve(ws, apps)
    return ws


async def media_socket(request: web.Request) -> web.StreamResponse:
    switch = request.app[SWITCH_KEY]
    conn_id = request.match_info["connection_id"]
    if conn_id not in switch.media_links:
        return _message(404, "Not Found")
    ws = web.WebSocketResponse(protocols=("media",))
    await ws.prepare(request)
    try:
        link = switch.router.media_connected(conn_id, ws)
    except AriErrorReply:
        await ws.close()
        return ws
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            reply = switch.router.media_command(link, _loads(msg.data))
            if reply is not None:
                link.outbox.put_nowait(json.dumps(reply))
    switch.router.media_closed(link)
    return ws


def _loads(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# ---- scenario API (for `ivr call --scenario`) ----------------------------------------------


def _api_error(status: int, error: str, message: str, **details: Any) -> web.Response:
    return _json(status, {"error": error, "message": message, "details": details})


def _guard(
    handler: Callable[[web.Request, SandboxSwitch], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        switch = request.app[SWITCH_KEY]
        if not authorized(request, switch):
            return _unauthorized()
        return await handler(request, switch)

    return wrapped


@_guard
async def place_call(request: web.Request, switch: SandboxSwitch) -> web.Response:
    from pathlib import Path

    from ivr.sandbox.scenario import scenario_from_dict

    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _api_error(400, "bad-scenario", "the body must be a JSON scenario object")
    base_dir = data.pop("base_dir", None) if isinstance(data, dict) else None
    try:
        scenario = scenario_from_dict(
            data, source="<request>", base_dir=Path(base_dir) if base_dir else None
        )
        call = await switch.place_call(scenario)
    except IvrError as exc:
        return _api_error(400, "bad-scenario", str(exc))
    body = {"call_id": call.call_id, "channel_id": call.channel_id, "finished": call.done}
    return _json(201, body, {"Location": f"/sandbox/calls/{call.call_id}"})


@_guard
async def list_calls(request: web.Request, switch: SandboxSwitch) -> web.Response:
    return _json(
        200,
        [
            {"call_id": c.call_id, "finished": c.done, "outcome": c.transcript.outcome}
            for c in switch.calls.values()
        ],
    )


@_guard
async def get_call(request: web.Request, switch: SandboxSwitch) -> web.Response:
    call = switch.calls.get(request.match_info["call_id"])
    if call is None:
        call_id = request.match_info["call_id"]
        return _api_error(404, "call-not-found", f"No scenario call '{call_id}'", call_id=call_id)
    try:
        wait_s = float(request.query.get("wait", "0"))
    except ValueError:
        return _api_error(400, "bad-wait", "wait must be a number of seconds")
    if wait_s > 0 and not call.done:
        # A long-poll that ends returns the transcript so far (finished: false).
        with contextlib.suppress(IvrError):
            await call.finished(min(wait_s, 600.0))
    return _json(200, call.transcript.to_dict())
