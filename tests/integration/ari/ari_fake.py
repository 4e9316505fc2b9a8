"""A small scriptable ARI server for the client's failure-mode tests (real sockets, 127.0.0.1:0).

Not the sandbox switch: it only records what it saw and answers what the test scripted.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ivr.ari._http import auth_header

USERNAME = "ivr-user"
PASSWORD = "Sup3r-s3cret-pw"
EXPECTED_AUTH = "Basic aXZyLXVzZXI6U3VwM3ItczNjcmV0LXB3"  # base64 of USERNAME:PASSWORD
assert auth_header(USERNAME, PASSWORD)["Authorization"] == EXPECTED_AUTH
HANG = -1  # scripted status: never answer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    query_string: str
    authorization: str | None
    body: Any


class FakeAri:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.script: dict[tuple[str, str], list[tuple[int, Any]]] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self.ws_attempts = 0
        self.ws_reject: list[int] = []  # statuses for the next upgrade attempts
        self.close_on_accept = False
        self.autoping = True  # False: a peer that never answers pings (dead link)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def reply(self, method: str, path: str, *responses: tuple[int, Any]) -> None:
        """Script answers for `method path` (consumed in order; the last one repeats)."""
        self.script[(method, path)] = list(responses)

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, path)]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/ari/events", self._events)
        app.router.add_route("*", "/ari/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._release.set()
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------ REST

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        path = request.path.removeprefix("/ari")
        self.seen.append(
            Seen(
                request.method,
                path,
                dict(request.query),
                request.query_string,
                request.headers.get("Authorization"),
                body,
            )
        )
        if request.headers.get("Authorization") != EXPECTED_AUTH:
            return web.json_response({"message": "Authentication required"}, status=401)
        answers = self.script.get((request.method, path))
        if not answers:
            return web.json_response({"message": "Not found"}, status=404)
        status, payload = answers.pop(0) if len(answers) > 1 else answers[0]
        if status == HANG:
            await self._release.wait()
            return web.Response(status=204)
        if payload is None:
            return web.Response(status=status)
        return web.json_response(payload, status=status)

    # ------------------------------------------------------------ events websocket

    async def _events(self, request: web.Request) -> web.StreamResponse:
        self.ws_attempts += 1
        self.seen.append(
            Seen(
                "GET",
                "/events",
                dict(request.query),
                request.query_string,
                request.headers.get("Authorization"),
                None,
            )
        )
        if request.headers.get("Authorization") != EXPECTED_AUTH:
            return web.json_response({"message": "Authentication required"}, status=401)
        if self.ws_reject:
            return web.Response(status=self.ws_reject.pop(0))
        ws = web.WebSocketResponse(autoping=self.autoping)
        await ws.prepare(request)
        self.sockets.append(ws)
        if self.close_on_accept:
            await ws.close()
            return ws
        async for _ in ws:
            pass
        return ws

    @property
    def live(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.sockets if not ws.closed]

    async def send(self, event: dict[str, Any]) -> None:
        await self.live[-1].send_str(json.dumps(event))

    async def send_raw(self, text: str) -> None:
        await self.live[-1].send_str(text)

    async def drop(self) -> None:
        """Close the live socket from the server side."""
        for ws in self.live:
            await ws.close()


def channel_json(channel_id: str, state: str = "Ring", **extra: Any) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": f"PJSIP/trunk-{channel_id}",
        "state": state,
        "protocol_id": "",
        "caller": {"name": "Caller", "number": "13800000000"},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "ivr-in",
            "exten": "95555",
            "priority": 2,
            "app_name": "Stasis",
            "app_data": "futures-ivr",
        },
        "creationtime": "2026-11-25T21:30:24.796+0000",
        "language": "zh",
        **extra,
    }


def event_json(event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": event_type,
        "timestamp": "2026-11-25T21:30:24.797+0000",
        "asterisk_id": "02:fc:00:00:00:01",
        "application": "futures-ivr",
        **fields,
    }
