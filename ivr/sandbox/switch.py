"""The sandbox switch: an ARI-compatible stand-in for Asterisk 22 (state, behaviour, events).

Role: holds channels, bridges, playbacks and recordings, and behaves like Asterisk 22.10.1 as
captured in `ari-samples/` and described in `ARI-NOTES.md`: dialplan calls enter Stasis in
state Ring; answer -> ChannelStateChange Up; REST hangup -> ChannelHangupRequest (cause 32,
soft), ChannelLeftBridge if bridged, StasisEnd, and ChannelDestroyed only for channels the app
originated; events are lost while the app has no websocket. Collaborators own one concern
each: `player` (playback.py), `recorder` (recorder.py), `bridging` (bridging.py), `router`
(extmedia.py: external media and audio routing). `server.py` maps HTTP onto them;
`scenario.py` drives the caller side.

Rules: one event loop, no locks; every background task is owned by the switch (`spawn`) and
cancelled on `stop()`; timings use the switch clock (`config.speed`). REST errors are raised
as `AriErrorReply(status, message)` with Asterisk's messages.
"""

from __future__ import annotations

import asyncio
import fnmatch
import itertools
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ivr.sandbox import audio
from ivr.sandbox.bridging import Bridging
from ivr.sandbox.config import (
    AriErrorReply,
    EndpointBehavior,
    SandboxConfig,
    SandboxError,
    SwitchClock,
)
from ivr.sandbox.events import EventHub, Json
from ivr.sandbox.extmedia import MediaLink, MediaRouter
from ivr.sandbox.media import MediaResolver
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
from ivr.sandbox.playback import Player
from ivr.sandbox.recorder import Recorder

if TYPE_CHECKING:
    from ivr.sandbox.scenario import Scenario, ScenarioCall, Transcript

log = logging.getLogger(__name__)

CAUSE_REST_HANGUP = 32  # AST_CAUSE_... flag seen in ChannelHangupRequest for REST DELETE


@dataclass(slots=True)
class RequestRecord:
    """One REST request as the switch saw it (for test assertions); `status` once answered."""

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
        self.link_of: dict[str, MediaLink] = {}  # media channel id -> link
        self.snoops_of: dict[str, set[ChannelId]] = {}  # spied channel id -> snoop channel ids
        self.calls: dict[str, ScenarioCall] = {}
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        self.seq = itertools.count(0)
        self._epoch = int(time.time())
        self.hub.listeners.append(self._route_event)
        self.router = MediaRouter(self)
        self.player = Player(self)
        self.bridging = Bridging(self)
        self.recorder = Recorder(self)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def ari_url(self) -> str:
        """HTTP base like Asterisk's `http://127.0.0.1:8088`; clients add `/ari`."""
        return f"http://{self.config.host}:{self.port}"

    async def start(self) -> None:
        from ivr.sandbox.server import build_app

        self._runner = web.AppRunner(build_app(self), handle_signals=False, access_log=None)
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

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
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
        channel = self.channel(channel_id)
        self.hangup_channel(channel, cause=cause, soft=False, by="caller")

    def events(self, event_type: str | None = None) -> list[Json]:
        """Every event emitted so far (delivered or lost), optionally of one type."""
        return [e.event for e in self.hub.log if event_type in (None, e.event["type"])]

    # ---- ids and names ---------------------------------------------------------------------

    def _new_id(self) -> str:
        return f"{self._epoch}.{next(self._ids)}"

    def channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(ChannelId(channel_id))
        if channel is None:
            raise AriErrorReply(404, "Channel not found")
        return channel

    def control(self, channel_id: str) -> Channel:
        """A channel the app controls: 404 if gone, 409 if not in Stasis (find_control)."""
        channel = self.channel(channel_id)
        if not channel.in_stasis():
            raise AriErrorReply(409, "Channel not in Stasis application")
        return channel

    def controllable(self, channel_id: str) -> Channel:
        channel = self.control(channel_id)
        if channel.state in ("Down", "Rsrvd", "Ringing"):
            raise AriErrorReply(412, "Channel in invalid state")
        return channel

    def new_channel(self, channel_id: str | None, name: str, state: str, **kw: Any) -> Channel:
        cid = ChannelId(channel_id or self._new_id())
        if cid in self.channels:
            raise AriErrorReply(409, "Channel with given unique ID already exists")
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

    def emit_channel(
        self, channel: Channel, event_type: str, at_s: float | None = None, **fields: Any
    ) -> None:
        if channel.app is None:
            return
        self.hub.emit(channel.app, event_type, at_s, **fields, channel=channel.to_json())

    def emit_dial(self, channel: Channel, status: str, dialstring: str) -> None:
        if channel.app is not None:
            self.hub.emit(
                channel.app,
                "Dial",
                dialstatus=status,
                forward="",
                dialstring=dialstring,
                peer=channel.to_json(),
            )

    def stasis_start(self, channel: Channel, app: str, args: list[str]) -> None:
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
        base = f"Local/{exten}@{ctx}-{next(self.seq):08x}"
        cid = {"caller_name": name, "caller_number": number}
        conn = {"connected_name": name, "connected_number": number}
        l1 = self.new_channel(ids[0], base + ";1", "Down", **cid, **conn, context=ctx, exten=exten)
        l1.app_name, l1.app_data = "AppDial2", "(Outgoing Line)"
        l2 = self.new_channel(ids[1], base + ";2", "Ring", **cid, **conn, context=ctx, exten=exten)
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
            raise AriErrorReply(400, "Invalid endpoint specified")
        app, extension = p.get("app"), p.get("extension")
        if not app and not extension:
            raise AriErrorReply(400, "Application or extension must be specified")
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
        self.spawn_for(channel, self._ring(channel, endpoint, app or "", args, timeout_s))
        return body

    def _outbound_channel(
        self, endpoint: str, p: dict[str, str], number: str, name: str
    ) -> Channel:
        tech, _, resource = endpoint.partition("/")
        exten, _, ctx = resource.partition("@")
        seq = next(self.seq)
        chan_name = f"{endpoint}-{seq:08x};1" if tech == "Local" else f"{endpoint}-{seq:08x}"
        channel = self.new_channel(
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

    def spawn_for(self, channel: Channel, coro: Coroutine[Any, Any, Any]) -> None:
        task = self.spawn(coro, name=f"sandbox-{channel.id}")
        channel.tasks.add(task)
        task.add_done_callback(channel.tasks.discard)

    async def _ring(
        self, channel: Channel, endpoint: str, app: str, args: list[str], timeout_s: float
    ) -> None:
        """Dial an endpoint as its `EndpointBehavior` says, then enter Stasis(app) if answered."""
        behavior = self.endpoints.get(endpoint, EndpointBehavior())
        dialstring = endpoint.partition("/")[2]
        self.emit_dial(channel, "", dialstring)
        if behavior.busy:
            self.emit_dial(channel, "BUSY", dialstring)
            self.destroy_channel(channel, 17)
            return
        wait_s = timeout_s if behavior.never_answer else behavior.answer_after_s
        if behavior.never_answer or (timeout_s > 0 and wait_s >= timeout_s):
            await self.clock.sleep(timeout_s)
            self.emit_dial(channel, "NOANSWER", dialstring)
            self.destroy_channel(channel, 19)
            return
        await self.clock.sleep(wait_s)
        channel.state = "Up"
        self.emit_channel(channel, "ChannelStateChange")
        self.emit_dial(channel, "ANSWER", dialstring)
        self.emit_channel(channel, "ChannelVarset", variable="STASISSTATUS", value="")
        self.stasis_start(channel, app, args)
        if behavior.speak is not None:
            await self.router.stream(channel, audio.frames_of(behavior.speak.read_bytes()))

    def destroy_channel(self, channel: Channel, cause: int) -> None:
        self.emit_channel(channel, "ChannelDestroyed", cause=cause, cause_txt=CAUSE_TEXT[cause])
        self._remove(channel)

    def create(self, p: dict[str, str], variables: dict[str, str]) -> Json:
        channel = self._outbound_channel(p["endpoint"], p, "", "")
        channel.variables.update(variables)
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        self.stasis_start(channel, p["app"], args)
        return channel.to_json()

    def dial(self, channel_id: str, timeout_s: int) -> None:
        channel = self.control(channel_id)
        endpoint = channel.name.rsplit("-", 1)[0].removesuffix(";1")
        self.spawn_for(channel, self._dial_created(channel, endpoint, timeout_s or 30))

    async def _dial_created(self, channel: Channel, endpoint: str, timeout_s: float) -> None:
        behavior = self.endpoints.get(endpoint, EndpointBehavior())
        dialstring = endpoint.partition("/")[2]
        self.emit_dial(channel, "", dialstring)
        if behavior.busy or behavior.never_answer:
            if behavior.never_answer:
                await self.clock.sleep(timeout_s)
            self.emit_dial(channel, "BUSY" if behavior.busy else "NOANSWER", dialstring)
            return
        await self.clock.sleep(behavior.answer_after_s)
        channel.state = "Up"
        self.emit_channel(channel, "ChannelStateChange")
        self.emit_dial(channel, "ANSWER", dialstring)

    # ---- channel operations ----------------------------------------------------------------

    def answer(self, channel_id: str) -> None:
        channel = self.controllable(channel_id)
        if channel.state != "Up":
            channel.state = "Up"
            self.emit_channel(channel, "ChannelStateChange")
            call = self.call_of(channel.id)
            if call is not None:
                call.on_answer()

    def hangup_rest(self, channel_id: str, reason: str | None, reason_code: str | None) -> None:
        channel = self.channel(channel_id)
        if reason_code:
            cause = int(reason_code) if reason_code.isdigit() else 16
        else:
            found = HANGUP_REASONS.get(reason or "normal")
            if found is None:
                raise AriErrorReply(400, "Invalid reason for hangup provided")
            cause = found
        self.hangup_channel(channel, cause=cause, soft=True, by="app")

    def hangup_channel(self, channel: Channel, *, cause: int, soft: bool, by: str) -> None:
        if channel.hung_up:
            return
        was_in_stasis = channel.in_stasis()
        if channel.state == "Down" and channel.originated and not was_in_stasis:
            self.emit_dial(channel, "CANCEL", channel.exten)
        elif was_in_stasis:
            request: dict[str, Any] = {"cause": CAUSE_REST_HANGUP, "soft": True} if soft else {}
            self.emit_channel(channel, "ChannelHangupRequest", **(request or {"cause": cause}))
        channel.hung_up = True
        self._stop_channel_media(channel)
        if channel.bridge_id is not None:
            self.bridging.leave_bridge(channel)
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
        self.end_moh(channel)

    def _after_hangup(self, channel: Channel, cause: int, by: str) -> None:
        for snoop_id in list(self.snoops_of.pop(channel.id, ())):
            if snoop_id in self.channels:
                self.hangup_channel(self.channels[snoop_id], cause=16, soft=False, by=by)
        if channel.spied_id is not None:
            self.snoops_of.get(channel.spied_id, set()).discard(channel.id)
        link = self.link_of.get(channel.id)
        if link is not None and link.ws is not None and not link.ws.closed:
            self.spawn(link.ws.close())
        if channel.peer_id is not None and channel.peer_id in self.channels:
            self._remove(self.channels[channel.peer_id])
        call = self.call_of(channel.id)
        if call is not None:
            call.end(by, cause)

    def call_of(self, channel_id: str) -> ScenarioCall | None:
        return self.calls.get(channel_id)  # a scenario call's id is its channel's id

    def _route_event(self, event: Json) -> None:
        """Copy an event about a scenario call's channel into that call's transcript."""
        ids = (
            (event.get("channel") or {}).get("id"),
            (event.get("peer") or {}).get("id"),
            (event.get("playback") or {}).get("target_uri", "").partition(":")[2],
        )
        for cid in {i for i in ids if i}:
            call = self.calls.get(cid)
            if call is not None:
                call.on_event(event)

    def ring(self, channel_id: str) -> None:
        self.controllable(channel_id)

    def moh(self, channel_id: str, moh_class: str | None) -> None:
        channel = self.controllable(channel_id)
        self.start_moh(channel, moh_class or "default")

    def stop_moh(self, channel_id: str) -> None:
        self.end_moh(self.controllable(channel_id))

    def start_moh(self, channel: Channel, moh_class: str) -> None:
        if channel.moh_class is None:
            channel.moh_class = moh_class
            call = self.call_of(channel.id)
            if call is not None:
                call.heard_start(f"moh:{moh_class}", self.clock.now_s())

    def end_moh(self, channel: Channel) -> None:
        if channel.moh_class is not None:
            call = self.call_of(channel.id)
            if call is not None:
                call.heard_end(f"moh:{channel.moh_class}", self.clock.now_s(), "stopped")
            channel.moh_class = None

    def hold(self, channel_id: str, on: bool) -> None:
        self.controllable(channel_id).variables["SANDBOX_HOLD"] = "1" if on else "0"

    def send_dtmf(self, channel_id: str, dtmf: str | None) -> None:
        channel = self.controllable(channel_id)
        if not dtmf:
            raise AriErrorReply(400, "DTMF is required")
        call = self.call_of(channel.id)
        if call is not None:
            call.note_dtmf_sent(dtmf, self.clock.now_s())

    def get_variable(self, channel_id: str, name: str) -> Json:
        channel = self.control(channel_id)
        value = channel.variables.get(name)
        if value is None:
            raise AriErrorReply(404, "Provided variable was not found")
        return {"value": value}

    def set_variable(self, channel_id: str, name: str, value: str) -> None:
        channel = self.control(channel_id)
        channel.variables[name] = value
        self.emit_channel(channel, "ChannelVarset", variable=name, value=value)

    def continue_in_dialplan(self, channel_id: str) -> None:
        channel = self.controllable(channel_id)
        self._stop_channel_media(channel)
        if channel.bridge_id is not None:
            self.bridging.leave_bridge(channel)
        channel.stasis = False
        self.emit_channel(channel, "StasisEnd")
        # Our dialplan has nothing after Stasis(): the call ends there (no more events).
        self._remove(channel)
        self._after_hangup(channel, 16, "dialplan")

    def snoop(self, channel_id: str, p: dict[str, str], snoop_id: str | None) -> Json:
        spied = self.control(channel_id)
        seq = next(self.seq)
        snoop = self.new_channel(snoop_id, f"Snoop/{spied.id}-{seq:08x}", "Up")
        snoop.kind, snoop.spied_id, snoop.spy = "snoop", spied.id, p.get("spy", "none")
        self.snoops_of.setdefault(spied.id, set()).add(snoop.id)
        snoop.originated = False
        body = snoop.to_json()
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        self.stasis_start(snoop, p["app"], args)
        return body

    def press(self, channel: Channel, digit: str, at_s: float | None = None) -> None:
        """A DTMF digit the far end sent (ChannelDtmfReceived at the end of the tone, switch
        time `at_s` as scheduled by the scenario)."""
        duration_ms = self.config.dtmf_duration_ms
        self.emit_channel(
            channel, "ChannelDtmfReceived", at_s, digit=digit, duration_ms=duration_ms
        )
        for rec in list(self.live_recordings.values()):
            on = rec.terminate_on
            if rec.target_uri == f"channel:{channel.id}" and (on == "any" or on == digit):
                rec.done.set()
        self.router.media_dtmf(channel, digit)

    # ---- applications and system -------------------------------------------------------------

    def application(self, name: str) -> Json:
        if name not in self.hub.registered:
            raise AriErrorReply(404, "Application not found")
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
        started = self.clock.timestamp(0.0)
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
            "status": {"startup_time": started, "last_reload_time": started},
        }

    def ping(self) -> Json:
        return {
            "ping": "pong",
            "timestamp": self.clock.timestamp(),
            "asterisk_id": self.config.asterisk_id,
        }

    def transcript(self, call_id: str) -> Transcript:
        return self.get_call(call_id).transcript


def _cause_txt(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def _parse_caller_id(caller_id: str) -> tuple[str, str]:
    """`"Name" <123>` -> ("123", "Name"); a bare number -> (number, "")."""
    if "<" in caller_id and caller_id.endswith(">"):
        name, _, number = caller_id[:-1].rpartition("<")
        return number.strip(), name.strip().strip('"')
    return caller_id.strip(), ""
