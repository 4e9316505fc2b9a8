"""HTTP face of the sandbox switch: ARI REST, the events and media websockets, scenario API.

Role: an aiohttp application. `/ari/...` is ARI as Asterisk 22 serves it: Basic auth (or
`api_key=user:pass`), 401 otherwise (REST and websocket alike); the route and its parameters
are checked in ONE place (`routes.match` + `routes.validate`, the table derived from the
api-docs); `handlers.py` maps each route onto the `Switchboard`. `/media/{connection_id}` is
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
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from ivr.errors import IvrError
from ivr.sandbox import routes
from ivr.sandbox.board import Switchboard
from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.handlers import ACTIONS, HANDLERS, L, P
from ivr.sandbox.scenario import scenario_from_dict
from ivr.sandbox.state import RequestRecord

log = logging.getLogger(__name__)

SWITCH_KEY: web.AppKey[Switchboard] = web.AppKey("sandbox_switch")


def build_app(switch: Switchboard) -> web.Application:
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


def authorized(request: web.Request, switch: Switchboard) -> bool:
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
    switch: Switchboard,
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
    switch: Switchboard, route: routes.Route, path_params: P, checked: L, variables: P
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


# ---- websockets ----------------------------------------------------------------------------


async def events_socket(request: web.Request, switch: Switchboard, params: L) -> web.StreamResponse:
    apps = tuple(a for a in params.get("app", []) if a)
    if switch.hub.refusing():  # a network outage injected by `drop_websockets(refuse_s=...)`
        return _message(503, "Service Unavailable")
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
    handler: Callable[[web.Request, Switchboard], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        switch = request.app[SWITCH_KEY]
        if not authorized(request, switch):
            return _unauthorized()
        return await handler(request, switch)

    return wrapped


@_guard
async def place_call(request: web.Request, switch: Switchboard) -> web.Response:
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
async def list_calls(request: web.Request, switch: Switchboard) -> web.Response:
    return _json(
        200,
        [
            {"call_id": c.call_id, "finished": c.done, "outcome": c.transcript.outcome}
            for c in switch.calls.values()
        ],
    )


@_guard
async def get_call(request: web.Request, switch: Switchboard) -> web.Response:
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
