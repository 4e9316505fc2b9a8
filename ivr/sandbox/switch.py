"""The sandbox switch: an ARI-compatible stand-in for Asterisk 22 (state, behaviour, events).

Role: holds channels, bridges, playbacks and recordings, and behaves like Asterisk 22.10.1 as
captured in `ari-samples/` and described in `ARI-NOTES.md`: dialplan calls enter Stasis in
state Ring; answer -> ChannelStateChange Up; REST hangup -> ChannelHangupRequest (cause 32,
soft), ChannelLeftBridge if bridged, StasisEnd, and ChannelDestroyed only for channels the app
originated; events are lost while the app has no websocket. `server.py` maps HTTP onto the
methods here; `scenario.py` drives the caller side.

Rules: one event loop, no locks; every background task is owned by the switch (`_spawn`) and
cancelled on `stop()`; timings use the switch clock (`config.speed`). REST errors are raised
as `ApiError(status, message)` with Asterisk's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import itertools
import logging
import time
import uuid
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from aiohttp import web

from ivr.sandbox import audio
from ivr.sandbox.config import EndpointBehavior, SandboxConfig, SandboxError, SwitchClock
from ivr.sandbox.events import EventHub, Json
from ivr.sandbox.media import MediaResolver, Unplayable
from ivr.sandbox.model import (
    CAUSE_TEXT,
    HANGUP_REASONS,
    Bridge,
    BridgeId,
    Channel,
    ChannelId,
    LiveRecording,
    Playback,
    PlaybackId,
)

if TYPE_CHECKING:
    from ivr.sandbox.scenario import Scenario, ScenarioCall, Transcript

log = logging.getLogger(__name__)

CAUSE_REST_HANGUP = 32  # AST_CAUSE_... flag seen in ChannelHangupRequest for REST DELETE


class ApiError(Exception):
    """An ARI error response: status and Asterisk's `message` (None: bare body)."""

    def __init__(self, status: int, message: str | None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One REST request as the switch saw it (for test assertions)."""

    method: str
    path: str
    params: dict[str, str]
    status: int = 0


@dataclass(slots=True)
class Fault:
    method: str
    path_pattern: str
    status: int | None
    delay_s: float
    remaining: int


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


class SandboxSwitch:
    """The switch. `await start()`, then point an ARI client at `ari_url` (+ `/ari`)."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = SwitchClock(self.config.speed)
        self.hub = EventHub(asterisk_id=self.config.asterisk_id, timestamp=self.clock.timestamp)
        self.media = MediaResolver(
            sounds_dir=self.config.sounds_dir,
            recordings_dir=self.config.recordings_dir,
            now_s=self.clock.now_s,
            min_url_len=self.config.http_media_min_url_len,
            fetch_timeout_s=self.config.http_fetch_timeout_s,
        )
        self.endpoints: dict[str, EndpointBehavior] = dict(self.config.endpoints)
        self.channels: dict[ChannelId, Channel] = {}
        self.bridges: dict[BridgeId, Bridge] = {}
        self.playbacks: dict[PlaybackId, Playback] = {}
        self.live_recordings: dict[str, LiveRecording] = {}
        self.media_links: dict[str, MediaLink] = {}  # connection id -> link
        self.calls: dict[str, ScenarioCall] = {}
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._chains: dict[str, asyncio.Task[Any]] = {}  # playback queue per target
        self._ids = itertools.count(1)
        self._local_seq = itertools.count(0)
        self._epoch = int(time.time())
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def ari_url(self) -> str:
        """HTTP base like Asterisk's `http://127.0.0.1:8088`; clients add `/ari`."""
        return f"http://{self.config.host}:{self.port}"

    async def start(self) -> None:
        from ivr.sandbox.server import build_app

        self._runner = web.AppRunner(build_app(self), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.config.port
        log.info("sandbox switch listening url=%s", self.ari_url)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.hub.drop_all()
        for link in self.media_links.values():
            if link.ws is not None:
                await link.ws.close()
            if link.rtp is not None:
                link.rtp.close()
        await self.media.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxSwitch:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sandbox task failed name=%s", task.get_name(), exc_info=task.exception())

    # ---- test-facing API -------------------------------------------------------------------

    async def place_call(self, scenario: Scenario) -> ScenarioCall:
        """Ring a scenario call into the dialplan (Local ;2 half enters Stasis in Ring)."""
        from ivr.sandbox.scenario import ScenarioCall

        self.endpoints.update(scenario.endpoints)
        l1, l2 = self._inbound_pair(scenario.dialed, scenario.caller, scenario.caller_name)
        l2.language = scenario.language or self.config.language
        call = ScenarioCall(self, scenario, l2.id)
        self.calls[call.call_id] = call
        self._enter_dialplan_stasis(l1, l2)
        if l2.id in self.channels:
            call.start()
        else:
            call.end("switch", 0, outcome="failed: application not connected")
        return call

    def get_call(self, call_id: str) -> ScenarioCall:
        call = self.calls.get(call_id)
        if call is None:
            raise SandboxError(f"no scenario call {call_id!r}")
        return call

    async def drop_websockets(self) -> None:
        """Close every events websocket; events are lost until a client reconnects."""
        await self.hub.drop_all()

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int | None = 500,
        delay_s: float = 0.0,
        count: int = 1,
    ) -> None:
        """Make the next `count` matching REST requests fail with `status` and/or wait
        `delay_s` real seconds first. `path_pattern` is a glob below `/ari`, e.g.
        `/channels/*/play`. `status=None` with a delay only slows the request down."""
        self.faults.append(Fault(method.upper(), path_pattern, status, delay_s, count))

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fnmatch.fnmatchcase(path, fault.path_pattern):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def hangup(self, channel_id: str, cause: int = 16) -> None:
        """Hang up from the far end (the caller or the agent phone), as a dialplan channel."""
        channel = self._channel(channel_id)
        self._hangup(channel, cause=cause, soft=False, by="caller")

    def events(self, event_type: str | None = None) -> list[Json]:
        """Every event emitted so far (delivered or lost), optionally of one type."""
        return [e.event for e in self.hub.log if event_type in (None, e.event["type"])]

    # ---- ids and names ---------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"{self._epoch}.{next(self._ids)}"

    def _channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(ChannelId(channel_id))
        if channel is None:
            raise ApiError(404, "Channel not found")
        return channel

    def _control(self, channel_id: str) -> Channel:
        """A channel the app controls: 404 if gone, 409 if not in Stasis (find_control)."""
        channel = self._channel(channel_id)
        if not channel.in_stasis():
            raise ApiError(409, "Channel not in Stasis application")
        return channel

    def _controllable(self, channel_id: str) -> Channel:
        channel = self._control(channel_id)
        if channel.state in ("Down", "Rsrvd", "Ringing"):
            raise ApiError(412, "Channel in invalid state")
        return channel

    def _new_channel(self, channel_id: str | None, name: str, state: str, **kw: Any) -> Channel:
        cid = ChannelId(channel_id or self._new_id())
        if cid in self.channels:
            raise ApiError(409, "Channel with given unique ID already exists")
        channel = Channel(
            id=cid,
            name=name,
            state=state,
            creationtime=self.clock.timestamp(),
            language=self.config.language,
            **kw,
        )
        self.channels[cid] = channel
        return channel

    # ---- event helpers ---------------------------------------------------------------------

    def emit_channel(self, channel: Channel, event_type: str, **fields: Any) -> None:
        if channel.app is None:
            return
        self.hub.emit(channel.app, event_type, **fields, channel=channel.to_json())

    def _emit_dial(self, channel: Channel, status: str, dialstring: str) -> None:
        if channel.app is not None:
            self.hub.emit(
                channel.app,
                "Dial",
                dialstatus=status,
                forward="",
                dialstring=dialstring,
                peer=channel.to_json(),
            )

    def _stasis_start(self, channel: Channel, app: str, args: list[str]) -> None:
        channel.app, channel.stasis = app, True
        channel.app_name, channel.app_data = "Stasis", ",".join([app, *args])
        self.emit_channel(channel, "StasisStart", args=args)

    # ---- inbound calls (dialplan -> Stasis) --------------------------------------------------

    def _inbound_pair(
        self,
        exten: str,
        number: str,
        name: str,
        ids: tuple[str | None, str | None] = (None, None),
        context: str | None = None,
    ) -> tuple[Channel, Channel]:
        ctx = context or self.config.inbound_context
        base = f"Local/{exten}@{ctx}-{next(self._local_seq):08x}"
        cid = {"caller_name": name, "caller_number": number}
        conn = {"connected_name": name, "connected_number": number}
        l1 = self._new_channel(ids[0], base + ";1", "Down", **cid, **conn, context=ctx, exten=exten)
        l1.app_name, l1.app_data = "AppDial2", "(Outgoing Line)"
        l2 = self._new_channel(ids[1], base + ";2", "Ring", **cid, **conn, context=ctx, exten=exten)
        l1.peer_id, l2.peer_id = l2.id, l1.id
        return l1, l2

    def _enter_dialplan_stasis(self, l1: Channel, l2: Channel) -> None:
        """`exten => X,n,Stasis(app)` on the ;2 half; fails at once if the app is inactive."""
        app = self.config.stasis_app
        l1.state = "Up"
        l1.app_name, l1.app_data = "Wait", "3600"
        l2.priority = 2
        if not self.hub.is_active(app):
            log.warning("sandbox call failed: app not connected app=%s channel=%s", app, l2.id)
            self._remove(l2)
            self._remove(l1)
            return
        l2.app, l2.stasis = app, True
        l2.app_name, l2.app_data = "Stasis", app
        self.emit_channel(l2, "StasisStart", args=[])

    def _remove(self, channel: Channel) -> None:
        channel.hung_up = True
        self.channels.pop(channel.id, None)
        for task in list(channel.tasks):
            if task is not asyncio.current_task():
                task.cancel()

    # ---- originate / create / dial -----------------------------------------------------------

    def originate(self, p: dict[str, str], variables: dict[str, str]) -> Json:
        endpoint = p["endpoint"]
        tech, _, resource = endpoint.partition("/")
        if not tech or not resource:
            raise ApiError(400, "Invalid endpoint specified")
        app, extension = p.get("app"), p.get("extension")
        if not app and not extension:
            raise ApiError(400, "Application or extension must be specified")
        number, name = _parse_caller_id(p.get("callerId", ""))
        if tech == "Local" and not app:
            exten, _, ctx = resource.partition("@")
            ids = (p.get("channelId"), p.get("otherChannelId"))
            l1, l2 = self._inbound_pair(exten, number, name, ids, ctx or "default")
            l1.variables.update(variables)
            body = l1.to_json()
            if ctx == self.config.inbound_context:
                self._enter_dialplan_stasis(l1, l2)
            return body
        channel = self._outbound_channel(endpoint, p, number, name)
        channel.variables.update(variables)
        body = channel.to_json()
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        timeout_s = float(p.get("timeout", "30") or 30)
        self._spawn_for(channel, self._ring(channel, endpoint, app or "", args, timeout_s))
        return body

    def _outbound_channel(
        self, endpoint: str, p: dict[str, str], number: str, name: str
    ) -> Channel:
        tech, _, resource = endpoint.partition("/")
        exten, _, ctx = resource.partition("@")
        seq = next(self._local_seq)
        chan_name = f"{endpoint}-{seq:08x};1" if tech == "Local" else f"{endpoint}-{seq:08x}"
        channel = self._new_channel(
            p.get("channelId"),
            chan_name,
            "Down",
            connected_name=name,
            connected_number=number,
            context=ctx or "default",
            exten=exten if ctx else "s",
            app_name="AppDial2",
            app_data="(Outgoing Line)",
        )
        channel.originated, channel.kind = True, "endpoint"
        channel.app = p.get("app")
        return channel

    def _spawn_for(self, channel: Channel, coro: Coroutine[Any, Any, Any]) -> None:
        task = self._spawn(coro, name=f"sandbox-{channel.id}")
        channel.tasks.add(task)
        task.add_done_callback(channel.tasks.discard)

    async def _ring(
        self, channel: Channel, endpoint: str, app: str, args: list[str], timeout_s: float
    ) -> None:
        """Dial an endpoint as its `EndpointBehavior` says, then enter Stasis(app) if answered."""
        behavior = self.endpoints.get(endpoint, EndpointBehavior())
        dialstring = endpoint.partition("/")[2]
        self._emit_dial(channel, "", dialstring)
        if behavior.busy:
            self._emit_dial(channel, "BUSY", dialstring)
            self._destroy(channel, 17)
            return
        wait_s = timeout_s if behavior.never_answer else behavior.answer_after_s
        if behavior.never_answer or (timeout_s > 0 and wait_s >= timeout_s):
            await self.clock.sleep(timeout_s)
            self._emit_dial(channel, "NOANSWER", dialstring)
            self._destroy(channel, 19)
            return
        await self.clock.sleep(wait_s)
        channel.state = "Up"
        self.emit_channel(channel, "ChannelStateChange")
        self._emit_dial(channel, "ANSWER", dialstring)
        self.emit_channel(channel, "ChannelVarset", variable="STASISSTATUS", value="")
        self._stasis_start(channel, app, args)
        if behavior.speak is not None:
            await self._stream(channel, audio.frames_of(behavior.speak.read_bytes()))

    def _destroy(self, channel: Channel, cause: int) -> None:
        self.emit_channel(channel, "ChannelDestroyed", cause=cause, cause_txt=CAUSE_TEXT[cause])
        self._remove(channel)

    def create(self, p: dict[str, str], variables: dict[str, str]) -> Json:
        channel = self._outbound_channel(p["endpoint"], p, "", "")
        channel.variables.update(variables)
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        self._stasis_start(channel, p["app"], args)
        return channel.to_json()

    def dial(self, channel_id: str, timeout_s: int) -> None:
        channel = self._control(channel_id)
        endpoint = channel.name.rsplit("-", 1)[0].removesuffix(";1")
        self._spawn_for(channel, self._dial_created(channel, endpoint, timeout_s or 30))

    async def _dial_created(self, channel: Channel, endpoint: str, timeout_s: float) -> None:
        behavior = self.endpoints.get(endpoint, EndpointBehavior())
        dialstring = endpoint.partition("/")[2]
        self._emit_dial(channel, "", dialstring)
        if behavior.busy or behavior.never_answer:
            if behavior.never_answer:
                await self.clock.sleep(timeout_s)
            self._emit_dial(channel, "BUSY" if behavior.busy else "NOANSWER", dialstring)
            return
        await self.clock.sleep(behavior.answer_after_s)
        channel.state = "Up"
        self.emit_channel(channel, "ChannelStateChange")
        self._emit_dial(channel, "ANSWER", dialstring)

    # ---- channel operations ----------------------------------------------------------------

    def answer(self, channel_id: str) -> None:
        channel = self._controllable(channel_id)
        if channel.state != "Up":
            channel.state = "Up"
            self.emit_channel(channel, "ChannelStateChange")
            call = self._call_of(channel.id)
            if call is not None:
                call.on_answer()

    def hangup_rest(self, channel_id: str, reason: str | None, reason_code: str | None) -> None:
        channel = self._channel(channel_id)
        if reason_code:
            cause = int(reason_code) if reason_code.isdigit() else 16
        else:
            found = HANGUP_REASONS.get(reason or "normal")
            if found is None:
                raise ApiError(400, "Invalid reason for hangup provided")
            cause = found
        self._hangup(channel, cause=cause, soft=True, by="app")

    def _hangup(self, channel: Channel, *, cause: int, soft: bool, by: str) -> None:
        if channel.hung_up:
            return
        was_in_stasis = channel.in_stasis()
        if channel.state == "Down" and channel.originated and not was_in_stasis:
            self._emit_dial(channel, "CANCEL", channel.exten)
        elif was_in_stasis:
            request: dict[str, Any] = {"cause": CAUSE_REST_HANGUP, "soft": True} if soft else {}
            self.emit_channel(channel, "ChannelHangupRequest", **(request or {"cause": cause}))
        channel.hung_up = True
        self._stop_channel_media(channel)
        if channel.bridge_id is not None:
            self._leave_bridge(channel)
        if was_in_stasis:
            channel.stasis = False
            self.emit_channel(channel, "StasisEnd")
        if channel.originated:
            if was_in_stasis:
                self.emit_channel(
                    channel, "ChannelVarset", variable="STASISSTATUS", value="SUCCESS"
                )
            self.emit_channel(channel, "ChannelDestroyed", cause=cause, cause_txt=_cause_txt(cause))
        self._remove(channel)
        self._after_hangup(channel, cause, by)

    def _stop_channel_media(self, channel: Channel) -> None:
        target = f"channel:{channel.id}"
        for playback in list(self.playbacks.values()):
            if playback.target_uri == target:
                playback.stop.set()
        for rec in list(self.live_recordings.values()):
            if rec.target_uri == target:
                rec.done.set()
        self._end_moh(channel)

    def _after_hangup(self, channel: Channel, cause: int, by: str) -> None:
        for other in list(self.channels.values()):
            if other.kind == "snoop" and other.spied_id == channel.id:
                self._hangup(other, cause=16, soft=False, by=by)
        link = next((lk for lk in self.media_links.values() if lk.channel_id == channel.id), None)
        if link is not None and link.ws is not None and not link.ws.closed:
            self._spawn(link.ws.close())
        if channel.peer_id is not None and channel.peer_id in self.channels:
            self._remove(self.channels[channel.peer_id])
        call = self._call_of(channel.id)
        if call is not None:
            call.end(by, cause)

    def _call_of(self, channel_id: str) -> ScenarioCall | None:
        return next((c for c in self.calls.values() if c.channel_id == channel_id), None)

    def ring(self, channel_id: str) -> None:
        self._controllable(channel_id)

    def moh(self, channel_id: str, moh_class: str | None) -> None:
        channel = self._controllable(channel_id)
        self._start_moh(channel, moh_class or "default")

    def stop_moh(self, channel_id: str) -> None:
        self._end_moh(self._controllable(channel_id))

    def _start_moh(self, channel: Channel, moh_class: str) -> None:
        if channel.moh_class is None:
            channel.moh_class = moh_class
            call = self._call_of(channel.id)
            if call is not None:
                call.heard_start(f"moh:{moh_class}", self.clock.now_s())

    def _end_moh(self, channel: Channel) -> None:
        if channel.moh_class is not None:
            call = self._call_of(channel.id)
            if call is not None:
                call.heard_end(f"moh:{channel.moh_class}", self.clock.now_s(), "stopped")
            channel.moh_class = None

    def hold(self, channel_id: str, on: bool) -> None:
        self._controllable(channel_id).variables["SANDBOX_HOLD"] = "1" if on else "0"

    def send_dtmf(self, channel_id: str, dtmf: str | None) -> None:
        channel = self._controllable(channel_id)
        if not dtmf:
            raise ApiError(400, "DTMF is required")
        call = self._call_of(channel.id)
        if call is not None:
            call.note_dtmf_sent(dtmf, self.clock.now_s())

    def get_variable(self, channel_id: str, name: str) -> Json:
        channel = self._control(channel_id)
        value = channel.variables.get(name)
        if value is None:
            raise ApiError(404, "Provided variable was not found")
        return {"value": value}

    def set_variable(self, channel_id: str, name: str, value: str) -> None:
        channel = self._control(channel_id)
        channel.variables[name] = value
        self.emit_channel(channel, "ChannelVarset", variable=name, value=value)

    def continue_in_dialplan(self, channel_id: str) -> None:
        channel = self._controllable(channel_id)
        self._stop_channel_media(channel)
        if channel.bridge_id is not None:
            self._leave_bridge(channel)
        channel.stasis = False
        self.emit_channel(channel, "StasisEnd")
        # Our dialplan has nothing after Stasis(): the call ends there (no more events).
        self._remove(channel)
        self._after_hangup(channel, 16, "dialplan")

    def snoop(self, channel_id: str, p: dict[str, str], snoop_id: str | None) -> Json:
        spied = self._control(channel_id)
        seq = next(self._local_seq)
        snoop = self._new_channel(snoop_id, f"Snoop/{spied.id}-{seq:08x}", "Up")
        snoop.kind, snoop.spied_id, snoop.spy = "snoop", spied.id, p.get("spy", "none")
        snoop.originated = False
        body = snoop.to_json()
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        self._stasis_start(snoop, p["app"], args)
        return body

    # ---- external media ----------------------------------------------------------------------

    def external_media(self, p: dict[str, str]) -> Json:
        transport = p.get("transport", "udp")
        fmt = p["format"]
        if fmt not in ("slin16", "ulaw", "slin"):
            raise ApiError(400, f"Unsupported format '{fmt}' (sandbox: slin16, slin, ulaw)")
        if transport == "websocket":
            if p.get("connection_type", "client") != "server":
                raise ApiError(400, "The sandbox switch supports connection_type=server only")
            return self._ws_media(p, fmt)
        host = p.get("external_host", "")
        if ":" not in host:
            raise ApiError(
                400, "external_host must be <host>:<port> for all transports other than websocket"
            )
        return self._rtp_media(p, fmt, host)

    def _ws_media(self, p: dict[str, str], fmt: str) -> Json:
        conn_id = str(uuid.uuid4())
        frame_size = {"slin16": 640, "slin": 320, "ulaw": 160}[fmt]
        seq = next(self._local_seq)
        channel = self._media_channel(p, f"WebSocket/INCOMING/0x{seq:012x}", "websocket", fmt)
        channel.channelvars = {
            "MEDIA_WEBSOCKET_CONNECTION_ID": conn_id,
            "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE": str(frame_size),
        }
        self.media_links[conn_id] = MediaLink(channel.id, fmt)
        self._spawn_for(channel, self._media_timeout(channel, conn_id))
        return channel.to_json(with_vars=True)

    def _media_channel(self, p: dict[str, str], name: str, kind: str, fmt: str) -> Channel:
        channel = self._new_channel(
            p.get("channelId"), name, "Down", app_name="AppDial2", app_data="(Outgoing Line)"
        )
        channel.kind, channel.media_format, channel.originated = kind, fmt, True
        channel.app = p["app"]
        return channel

    async def _media_timeout(self, channel: Channel, conn_id: str) -> None:
        link = self.media_links[conn_id]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.clock.wall_s(self.config.media_connect_timeout_s)):
                await link.connected.wait()
                return
        self._destroy(channel, 19)

    def _media_answered(self, channel: Channel) -> None:
        dialstring = channel.name.partition("/")[2]
        self._emit_dial(channel, "", dialstring)
        channel.state = "Up"
        self.emit_channel(channel, "ChannelStateChange")
        self._emit_dial(channel, "ANSWER", dialstring)
        self.emit_channel(channel, "ChannelVarset", variable="STASISSTATUS", value="")
        self._stasis_start(channel, channel.app or "", [])

    def media_start_message(self, conn_id: str) -> Json:
        link = self.media_links[conn_id]
        channel = self.channels[link.channel_id]
        vars_ = dict(channel.channelvars or {})
        return {
            "event": "MEDIA_START",
            "connection_id": conn_id,
            "channel": channel.name,
            "channel_id": channel.id,
            "format": link.fmt,
            "optimal_frame_size": int(vars_.get("MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE", "0")),
            "ptime": 20,
            "channel_variables": vars_,
        }

    def media_connected(self, conn_id: str, ws: web.WebSocketResponse) -> MediaLink:
        link = self.media_links.get(conn_id)
        if link is None or link.channel_id not in self.channels or link.connected.is_set():
            raise ApiError(404, "Unknown media connection")
        link.ws = ws
        link.connected.set()
        self._media_answered(self.channels[link.channel_id])
        return link

    def media_command(self, link: MediaLink, command: Json) -> Json | None:
        """A text command from the media websocket; returns a reply message, if any."""
        channel = self.channels.get(link.channel_id)
        name = command.get("command")
        if name == "HANGUP" and channel is not None:
            self._hangup(channel, cause=16, soft=False, by="app")
        elif name == "MARK_MEDIA":
            return {
                "event": "MEDIA_MARK_PROCESSED",
                "channel_id": link.channel_id,
                "correlation_id": command.get("correlation_id", ""),
            }
        elif name == "GET_STATUS":
            return {
                "event": "STATUS",
                "channel_id": link.channel_id,
                "queue_length": 0,
                "xon_level": 800,
                "xoff_level": 900,
                "queue_full": False,
                "bulk_media": False,
                "media_paused": False,
            }
        return None

    def media_closed(self, link: MediaLink) -> None:
        channel = self.channels.get(link.channel_id)
        if channel is not None:
            self._hangup(channel, cause=16, soft=False, by="app")

    def _rtp_media(self, p: dict[str, str], fmt: str, host: str) -> Json:
        seq = next(self._local_seq)
        channel = self._media_channel(p, f"UnicastRTP/{host}-0x{seq:012x}", "rtp", fmt)
        remote_host, _, remote_port = host.rpartition(":")
        link = MediaLink(channel.id, fmt)
        self.media_links[f"rtp-{channel.id}"] = link
        channel.channelvars = {
            "UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1",
            "UNICASTRTP_LOCAL_PORT": "0",
        }
        body = channel.to_json(with_vars=True)
        self._spawn_for(channel, self._rtp_open(channel, link, remote_host, int(remote_port)))
        return body

    async def _rtp_open(self, channel: Channel, link: MediaLink, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0), remote_addr=(host, port)
        )
        link.rtp = transport
        local_port = transport.get_extra_info("sockname")[1]
        if channel.channelvars is not None:
            channel.channelvars["UNICASTRTP_LOCAL_PORT"] = str(local_port)
        link.connected.set()
        self._media_answered(channel)

    # ---- audio routing -----------------------------------------------------------------------

    async def _stream(self, channel: Channel, frames: list[audio.AudioFrame]) -> None:
        """Produce `frames` on `channel` in real time (switch time), 50 per second."""
        start = self.clock.now_s()
        first_slot = round(start / audio.FRAME_S)
        for i, frame in enumerate(frames):
            if channel.hung_up:
                return
            self.deliver_audio(channel, frame, first_slot + i)
            await self.clock.sleep(start + (i + 1) * audio.FRAME_S - self.clock.now_s())

    def deliver_audio(self, source: Channel, frame: audio.AudioFrame, slot: int) -> None:
        """Audio `source` produced in frame `slot` (switch time / 20 ms): to its recordings,
        its snoops, its bridge mates. Slots keep a stream's frames in sequence even when the
        event loop delivers them in bursts; equal slots of different sources are mixed."""
        self._record_frame(f"channel:{source.id}", slot, frame)
        listeners = [source] + [
            c
            for c in self.channels.values()
            if c.kind == "snoop" and c.spied_id == source.id and c.spy in ("in", "both")
        ]
        for node in listeners:
            bridge = self.bridges.get(node.bridge_id) if node.bridge_id else None
            if bridge is None:
                continue
            self._record_frame(f"bridge:{bridge.id}", slot, frame)
            for mate_id in bridge.channels:
                if mate_id != node.id:
                    self._hear(mate_id, frame)

    def _record_frame(self, target: str, slot: int, frame: audio.AudioFrame) -> None:
        for rec in self.live_recordings.values():
            if rec.target_uri == target and rec.state == "recording":
                rec.slots.setdefault(slot, []).append(frame.pcm8k)
                rec.last_audio_s = self.clock.now_s()

    def _hear(self, channel_id: ChannelId, frame: audio.AudioFrame) -> None:
        link = next((lk for lk in self.media_links.values() if lk.channel_id == channel_id), None)
        if link is None or not link.connected.is_set():
            return
        if link.ws is not None and not link.ws.closed:
            link.frames_sent += 1
            self._spawn(_send_bytes(link.ws, audio.encode_frame(frame, link.fmt)))
        elif link.rtp is not None:
            link.frames_sent += 1
            link.rtp.sendto(self._rtp_packet(link, frame))

    @staticmethod
    def _rtp_packet(link: MediaLink, frame: audio.AudioFrame) -> bytes:
        payload_type = 0 if link.fmt == "ulaw" else 118
        samples = 160 if link.fmt == "ulaw" else 320
        link.rtp_seq = (link.rtp_seq + 1) & 0xFFFF
        header = bytes([0x80, payload_type]) + link.rtp_seq.to_bytes(2, "big")
        header += ((link.rtp_seq * samples) & 0xFFFFFFFF).to_bytes(4, "big")
        header += (0x5A4E_0001).to_bytes(4, "big")
        return header + audio.encode_frame(frame, link.fmt, big_endian=True)

    def press(self, channel: Channel, digit: str) -> None:
        """A DTMF digit the far end sent (ChannelDtmfReceived at the end of the tone)."""
        self.emit_channel(
            channel, "ChannelDtmfReceived", digit=digit, duration_ms=self.config.dtmf_duration_ms
        )
        for rec in list(self.live_recordings.values()):
            on = rec.terminate_on
            if rec.target_uri == f"channel:{channel.id}" and (on == "any" or on == digit):
                rec.done.set()
        self._media_dtmf(channel, digit)

    def _media_dtmf(self, channel: Channel, digit: str) -> None:
        bridge = self.bridges.get(channel.bridge_id) if channel.bridge_id else None
        for mate_id in bridge.channels if bridge else []:
            link = next((lk for lk in self.media_links.values() if lk.channel_id == mate_id), None)
            if link is not None and link.ws is not None and not link.ws.closed:
                msg = {"event": "DTMF_END", "channel_id": mate_id, "digit": digit}
                self._spawn(link.ws.send_json(msg))

    # ---- playbacks ---------------------------------------------------------------------------

    def play(
        self, target: Channel | Bridge, media: list[str], lang: str | None, pid: str | None
    ) -> Json:
        if pid and PlaybackId(pid) in self.playbacks:
            raise ApiError(409, "Playback with given id already exists")
        target_uri = (
            f"channel:{target.id}" if isinstance(target, Channel) else f"bridge:{target.id}"
        )
        app = target.app
        language = lang or (
            target.language if isinstance(target, Channel) else self.config.language
        )
        playback = Playback(PlaybackId(pid or str(uuid.uuid4())), media[0], target_uri, language)
        playback.app = app or ""
        self.playbacks[playback.id] = playback
        body = playback.to_json()
        previous = self._chains.get(target_uri)
        task = self._spawn(self._run_playback(playback, media, previous), name=f"pb-{playback.id}")
        self._chains[target_uri] = task  # stopped via playback.stop, never cancelled
        return body

    async def _run_playback(
        self, playback: Playback, media: list[str], previous: asyncio.Task[Any] | None
    ) -> None:
        try:
            if previous is not None and not previous.done():
                await asyncio.wait({previous})
            if not playback.stop.is_set():
                for uri in media:
                    playback.media_uri = uri
                    if not await self._play_one(playback) or playback.stop.is_set():
                        break
        finally:
            self.playbacks.pop(playback.id, None)

    async def _play_one(self, playback: Playback) -> bool:
        playback.state = "playing"
        playback.started_s = self.clock.now_s()
        self.hub.emit(playback.app, "PlaybackStarted", playback=playback.to_json())
        self._notify_calls(playback, "start")
        result = await self.media.resolve(playback.media_uri, playback.language)
        if isinstance(result, Unplayable):
            log.info(
                "sandbox playback failed media=%s reason=%s", playback.media_uri, result.reason
            )
            playback.state = "failed"
        else:
            duration = result.duration_s
            timeout = None if duration is None else self.clock.wall_s(duration)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await playback.stop.wait()
            playback.state = "done"
        self.hub.emit(playback.app, "PlaybackFinished", playback=playback.to_json())
        outcome = "stopped" if playback.stop.is_set() else playback.state
        self._notify_calls(playback, outcome)
        return playback.state == "done"

    def _notify_calls(self, playback: Playback, what: str) -> None:
        kind, _, target_id = playback.target_uri.partition(":")
        ids = (
            [target_id]
            if kind == "channel"
            else list(self.bridges[BridgeId(target_id)].channels)
            if BridgeId(target_id) in self.bridges
            else []
        )
        for cid in ids:
            call = self._call_of(cid)
            if call is None:
                continue
            if what == "start":
                call.heard_start(playback.media_uri, self.clock.now_s())
            else:
                call.heard_end(playback.media_uri, self.clock.now_s(), what)

    def get_playback(self, playback_id: str) -> Json:
        playback = self.playbacks.get(PlaybackId(playback_id))
        if playback is None:
            raise ApiError(404, "Playback not found")
        return playback.to_json()

    def stop_playback(self, playback_id: str) -> None:
        playback = self.playbacks.get(PlaybackId(playback_id))
        if playback is None:
            raise ApiError(404, "Playback not found")
        playback.stop.set()
        if playback.state == "queued":
            self.playbacks.pop(playback.id, None)

    # ---- bridges -----------------------------------------------------------------------------

    def create_bridge(self, p: dict[str, str], app: str) -> Json:
        bid = BridgeId(p.get("bridgeId") or str(uuid.uuid4()))
        if bid in self.bridges:
            raise ApiError(409, "Bridge with id already exists")
        types = (p.get("type") or "mixing").split(",")
        bridge = Bridge(bid, p.get("name", ""), types[0], self.clock.timestamp(), app)
        self.bridges[bid] = bridge
        return bridge.to_json()

    def bridge(self, bridge_id: str) -> Bridge:
        bridge = self.bridges.get(BridgeId(bridge_id))
        if bridge is None:
            raise ApiError(404, "Bridge not found")
        return bridge

    def destroy_bridge(self, bridge_id: str) -> None:
        bridge = self.bridge(bridge_id)
        for cid in list(bridge.channels):
            self._leave_bridge(self.channels[cid])
        for rec in list(self.live_recordings.values()):
            if rec.target_uri == f"bridge:{bridge.id}":
                rec.done.set()
        del self.bridges[bridge.id]
        self.hub.emit(bridge.app, "BridgeDestroyed", bridge=bridge.to_json())

    def add_to_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        bridge = self.bridge(bridge_id)
        channels = [self._channel_for_bridge(cid) for cid in channel_ids]
        for channel in channels:
            if channel.bridge_id is not None and channel.bridge_id != bridge.id:
                self._leave_bridge(channel)
            if channel.id in bridge.channels:
                continue
            bridge.channels.append(channel.id)
            channel.bridge_id = bridge.id
            self.emit_channel(channel, "ChannelEnteredBridge", bridge=bridge.to_json())
        self._set_bridge_peers(bridge)

    def _channel_for_bridge(self, channel_id: str) -> Channel:
        channel = self.channels.get(ChannelId(channel_id))
        if channel is None:
            raise ApiError(400, "Channel not found")
        if not channel.in_stasis():
            raise ApiError(422, "Channel not in Stasis application")
        return channel

    def _set_bridge_peers(self, bridge: Bridge) -> None:
        if len(bridge.channels) != 2:
            return
        a, b = (self.channels[c] for c in bridge.channels)
        self.emit_channel(a, "ChannelVarset", variable="BRIDGEPEER", value=b.name)
        self.emit_channel(b, "ChannelVarset", variable="BRIDGEPEER", value=a.name)

    def remove_from_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        bridge = self.bridge(bridge_id)
        for cid in channel_ids:
            channel = self._channel_for_bridge(cid)
            if channel.id not in bridge.channels:
                raise ApiError(422, "Channel not in this bridge")
            self._leave_bridge(channel)

    def _leave_bridge(self, channel: Channel) -> None:
        bridge = self.bridges.get(channel.bridge_id) if channel.bridge_id else None
        channel.bridge_id = None
        if bridge is None or channel.id not in bridge.channels:
            return
        if len(bridge.channels) == 2:
            self.emit_channel(channel, "ChannelVarset", variable="BRIDGEPEER", value="")
        bridge.channels.remove(channel.id)
        self.emit_channel(channel, "ChannelLeftBridge", bridge=bridge.to_json())

    def bridge_moh(self, bridge_id: str, moh_class: str | None) -> None:
        bridge = self.bridge(bridge_id)
        for cid in bridge.channels:
            self._start_moh(self.channels[cid], moh_class or "default")

    def bridge_stop_moh(self, bridge_id: str) -> None:
        for cid in self.bridge(bridge_id).channels:
            self._end_moh(self.channels[cid])

    # ---- recordings --------------------------------------------------------------------------

    def record(self, target_uri: str, app: str, p: dict[str, str]) -> Json:
        rec_dir = self.config.recordings_dir
        if rec_dir is None or not rec_dir.is_dir():
            raise ApiError(500, None)  # Asterisk: bare 500 when <spool>/recording is missing
        name, fmt = p["name"], p["format"]
        if fmt != "wav":
            raise ApiError(422, "specified format is unknown on this system")
        if "/" in name or name.startswith("."):
            raise ApiError(400, "Recording name invalid")
        exists = name in self.live_recordings or (rec_dir / f"{name}.wav").exists()
        if exists and (p.get("ifExists", "fail") == "fail" or name in self.live_recordings):
            raise ApiError(409, f"Recording '{name}' already exists and can not be overwritten")
        rec = LiveRecording(
            name=name,
            format=fmt,
            target_uri=target_uri,
            app=app,
            max_duration_s=int(p.get("maxDurationSeconds", "0") or 0),
            max_silence_s=int(p.get("maxSilenceSeconds", "0") or 0),
            terminate_on=p.get("terminateOn", "none"),
        )
        self.live_recordings[name] = rec
        body = rec.to_json()
        self._spawn(self._run_recording(rec, rec_dir / f"{name}.wav"), name=f"rec-{name}")
        return body

    async def _run_recording(self, rec: LiveRecording, path: Path) -> None:
        rec.state = "recording"
        rec.last_audio_s = self.clock.now_s()
        started_s = rec.last_audio_s
        self.hub.emit(rec.app, "RecordingStarted", recording=rec.to_json())
        while not rec.done.is_set():
            limit_s = self._recording_wait_s(rec, started_s)
            if limit_s is not None and limit_s <= 0:
                break
            timeout = None if limit_s is None else self.clock.wall_s(limit_s)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await rec.done.wait()
        self._finish_recording(rec, path)

    def _recording_wait_s(self, rec: LiveRecording, started_s: float) -> float | None:
        now = self.clock.now_s()
        limits = []
        if rec.max_duration_s:
            limits.append(started_s + rec.max_duration_s - now)
        if rec.max_silence_s:
            limits.append(rec.last_audio_s + rec.max_silence_s - now)
        return min(limits) if limits else None

    def _finish_recording(self, rec: LiveRecording, path: Path) -> None:
        self.live_recordings.pop(rec.name, None)
        if rec.state == "canceled":
            path.unlink(missing_ok=True)
        else:
            frames = [audio.mix(rec.slots[s]) for s in sorted(rec.slots)]
            samples = np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)
            path.write_bytes(audio.wav_bytes(samples))
            rec.duration_s = int(len(samples) / audio.RATE_8K)
            rec.state = "done"
        self.hub.emit(rec.app, "RecordingFinished", recording=rec.to_json())

    def live_recording(self, name: str) -> LiveRecording:
        rec = self.live_recordings.get(name)
        if rec is None:
            raise ApiError(404, "Recording not found")
        return rec

    def stop_recording(self, name: str, *, cancel: bool = False) -> None:
        rec = self.live_recording(name)
        if cancel:
            rec.state = "canceled"
        rec.done.set()

    def stored_path(self, name: str) -> Path:
        rec_dir = self.config.recordings_dir
        path = rec_dir / f"{name}.wav" if rec_dir is not None else None
        if path is None or "/" in name or not path.is_file():
            raise ApiError(404, "Recording not found")
        return path

    def stored_recordings(self) -> list[Json]:
        rec_dir = self.config.recordings_dir
        if rec_dir is None or not rec_dir.is_dir():
            return []
        return [{"name": p.stem, "format": "wav"} for p in sorted(rec_dir.glob("*.wav"))]

    # ---- applications and system -------------------------------------------------------------

    def application(self, name: str) -> Json:
        if name not in self.hub.registered:
            raise ApiError(404, "Application not found")
        return {
            "name": name,
            "channel_ids": [
                c.id for c in self.channels.values() if c.in_stasis() and c.app == name
            ],
            "bridge_ids": [b.id for b in self.bridges.values() if b.app == name],
            "endpoint_ids": [],
            "device_names": [],
            "events_allowed": [],
            "events_disallowed": [],
        }

    def applications(self) -> list[Json]:
        return [self.application(name) for name in sorted(self.hub.registered)]

    def asterisk_info(self) -> Json:
        return {
            "build": {
                "os": "Linux",
                "kernel": "sandbox",
                "machine": "x86_64",
                "options": "OPTIONAL_API",
                "date": self.clock.timestamp(),
                "user": "sandbox",
            },
            "system": {"version": self.config.version, "entity_id": self.config.asterisk_id},
            "config": {
                "name": "",
                "default_language": self.config.language,
                "setid": {"user": "", "group": ""},
            },
            "status": {"startup_time": self.hub_start, "last_reload_time": self.hub_start},
        }

    @property
    def hub_start(self) -> str:
        from ivr.sandbox.config import format_timestamp

        return format_timestamp(self.clock._wall0)

    def ping(self) -> Json:
        return {
            "ping": "pong",
            "timestamp": self.clock.timestamp(),
            "asterisk_id": self.config.asterisk_id,
        }

    def transcript(self, call_id: str) -> Transcript:
        return self.get_call(call_id).transcript


async def _send_bytes(ws: web.WebSocketResponse, data: bytes) -> None:
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_bytes(data)


def _cause_txt(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def _parse_caller_id(caller_id: str) -> tuple[str, str]:
    """`"Name" <123>` -> ("123", "Name"); a bare number -> (number, "")."""
    if "<" in caller_id and caller_id.endswith(">"):
        name, _, number = caller_id[:-1].rpartition("<")
        return number.strip(), name.strip().strip('"')
    return caller_id.strip(), ""
