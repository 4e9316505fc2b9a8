"""Channels of the sandbox switch: calls into the dialplan, originate/create/dial, and the
REST channel operations (answer, hangup, continue, snoop, music on hold, DTMF, variables).

Role: behaves like Asterisk 22 (`docs/asterisk-behaviour.md`, "Calls and events"): dialplan
calls are a Local pair whose `;2` half enters Stasis in state Ring; answer -> ChannelStateChange
Up; an originated endpoint rings as its `EndpointBehavior` says (Dial events, BUSY cause 17,
NOANSWER cause 19) and enters Stasis once answered; a call to an app with no websocket fails
at once. An originated Local channel has a `;2` half that runs the endpoint's dialplan
(`Answer()`, which takes 0.5 s, `Wait()`, `Hangup()` after `hangup_after_s`) and sends the app
`ChannelCallerId`, `ChannelConnectedLine`, `ChannelDialplan`, `ChannelStateChange`,
`ChannelHangupRequest` and `ChannelDestroyed` without ever entering Stasis. A snoop enters the
app with its own `StasisStart`. A digit the far end presses is `ChannelDtmfReceived` and may
end a recording.

Rules: built on `SwitchCore` (one loop, no locks; tasks via `spawn_for`); audio an answering
endpoint speaks goes through the `MediaRouter`. Errors are `AriErrorReply` with Asterisk's
messages.
"""

from __future__ import annotations

import itertools
import logging

from ivr.sandbox import audio
from ivr.sandbox.config import AriErrorReply, EndpointBehavior
from ivr.sandbox.events import Json
from ivr.sandbox.extmedia import MediaRouter
from ivr.sandbox.hangup import SwitchCore
from ivr.sandbox.model import HANGUP_REASONS, Channel
from ivr.sandbox.numberplan import DIAL_STATUS, outside_behavior, trunk_number
from ivr.sandbox.timeline import Snoop, Span

ANSWER_DELAY_S = 0.5  # Answer() on a Local channel returns half a second later

log = logging.getLogger(__name__)


class ChannelOps:
    """Channel lifecycle and channel operations over REST."""

    def __init__(self, sw: SwitchCore, router: MediaRouter) -> None:
        self.sw = sw
        self.router = router
        self._turn = itertools.count()  # which app name takes the next inbound call

    # ---- inbound calls (dialplan -> Stasis) --------------------------------------------------

    def inbound_pair(
        self,
        exten: str,
        number: str,
        name: str,
        ids: tuple[str | None, str | None] = (None, None),
        context: str | None = None,
    ) -> tuple[Channel, Channel]:
        ctx = context or self.sw.config.inbound_context
        base = f"Local/{exten}@{ctx}-{next(self.sw.seq):08x}"
        cid = {"caller_name": name, "caller_number": number}
        conn = {"connected_name": name, "connected_number": number}
        new = self.sw.new_channel
        l1 = new(ids[0], base + ";1", "Down", **cid, **conn, context=ctx, exten=exten)
        l1.app_name, l1.app_data = "AppDial2", "(Outgoing Line)"
        l2 = new(ids[1], base + ";2", "Ring", **cid, **conn, context=ctx, exten=exten)
        l1.peer_id, l2.peer_id = l2.id, l1.id
        return l1, l2

    def enter_dialplan_stasis(self, l1: Channel, l2: Channel) -> None:
        """`exten => X,n,Stasis(app)` on the ;2 half; fails at once if the app is inactive.
        With several app names (`stasis_apps`) the calls are split between them in turn, and a
        call whose app is not connected goes to the next connected one (the dialplan's
        fallback on `STASISSTATUS=FAILED`)."""
        app = self._pick_app()
        l1.state = "Up"
        l1.app_name, l1.app_data = "Wait", "3600"
        l2.priority = 2
        if not self.sw.hub.is_active(app):
            log.warning("sandbox call failed: app not connected app=%s channel=%s", app, l2.id)
            self.sw.remove(l2)
            self.sw.remove(l1)
            return
        l2.app, l2.stasis = app, True
        l2.app_name, l2.app_data = "Stasis", app
        self.sw.emit_channel(l2, "StasisStart", args=[])

    def _pick_app(self) -> str:
        apps = self.sw.config.stasis_apps or (self.sw.config.stasis_app,)
        first = next(self._turn) % len(apps)
        ordered = apps[first:] + apps[:first]
        return next((a for a in ordered if self.sw.hub.is_active(a)), ordered[0])

    # ---- originate / create / dial -----------------------------------------------------------

    def originate(self, p: dict[str, str], variables: dict[str, str]) -> Json:
        endpoint = p["endpoint"]
        tech, _, resource = endpoint.partition("/")
        if not tech or not resource:
            raise AriErrorReply(400, "Invalid endpoint specified")
        app, extension = p.get("app"), p.get("extension")
        if not app and not extension:
            raise AriErrorReply(400, "Application or extension must be specified")
        number, name = parse_caller_id(p.get("callerId", ""))
        if tech == "Local" and not app:
            exten, _, ctx = resource.partition("@")
            ids = (p.get("channelId"), p.get("otherChannelId"))
            l1, l2 = self.inbound_pair(exten, number, name, ids, ctx or "default")
            l1.variables.update(variables)
            body = l1.to_json()
            if ctx == self.sw.config.inbound_context:
                self.enter_dialplan_stasis(l1, l2)
            return body
        channel = self._outbound_channel(endpoint, p, number, name)
        channel.variables.update(variables)
        if tech == "Local":
            self._local_half(channel, p.get("otherChannelId"))
        body = channel.to_json()
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        timeout_s = float(p.get("timeout", "30") or 30)
        self.sw.spawn_for(channel, self._ring(channel, endpoint, app or "", args, timeout_s))
        return body

    def _outbound_channel(
        self, endpoint: str, p: dict[str, str], number: str, name: str
    ) -> Channel:
        tech, _, resource = endpoint.partition("/")
        exten, _, ctx = resource.partition("@")
        seq = next(self.sw.seq)
        chan_name = f"{endpoint}-{seq:08x};1" if tech == "Local" else f"{endpoint}-{seq:08x}"
        channel = self.sw.new_channel(
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
        if tech == "Local":
            channel.caller_name, channel.caller_number = name, number
        return channel

    def _local_half(self, l1: Channel, other_id: str | None) -> Channel:
        """The `;2` half of an originated Local channel: runs dialplan, never enters Stasis."""
        l2 = self.sw.new_channel(
            other_id or f"{l1.id};2",
            l1.name.removesuffix(";1") + ";2",
            "Ring",
            caller_name=l1.caller_name,
            caller_number=l1.caller_number,
            connected_name=l1.connected_name,
            connected_number=l1.connected_number,
            context=l1.context,
            exten=l1.exten,
        )
        l2.app, l2.half, l2.originated = l1.app, 2, True
        l1.peer_id, l2.peer_id = l2.id, l1.id
        return l2

    async def _ring(
        self, channel: Channel, endpoint: str, app: str, args: list[str], timeout_s: float
    ) -> None:
        """Dial an endpoint as its `EndpointBehavior` says, then enter Stasis(app) if answered."""
        sw = self.sw
        behavior = self._behavior(endpoint)
        dialstring = endpoint.partition("/")[2]
        half = sw.other_half(channel)
        if half is not None and half.caller_number:
            sw.caller_id_event(half)
            sw.emit_channel(half, "ChannelConnectedLine")
        sw.emit_dial(channel, "", dialstring)
        if behavior.busy or behavior.fail_cause is not None:
            cause = behavior.fail_cause or 17
            sw.emit_dial(channel, DIAL_STATUS.get(cause, "BUSY"), dialstring)
            self._undial(channel, cause)
            return
        wait_s = timeout_s if behavior.never_answer else behavior.answer_after_s
        if behavior.never_answer or (timeout_s > 0 and wait_s >= timeout_s):
            await sw.clock.sleep(timeout_s)
            sw.emit_dial(channel, "NOANSWER", dialstring)
            self._undial(channel, 19)
            return
        await sw.clock.sleep(wait_s)
        if half is not None:
            sw.dialplan_step(half, "Answer", "")
            half.state = "Up"
            sw.emit_channel(half, "ChannelStateChange")
            half.answer_done_s = sw.clock.now_s() + ANSWER_DELAY_S
        channel.state = "Up"
        sw.emit_channel(channel, "ChannelStateChange")
        sw.emit_dial(channel, "ANSWER", dialstring)
        sw.emit_channel(channel, "ChannelVarset", variable="STASISSTATUS", value="")
        sw.stasis_start(channel, app, args)
        if half is not None:
            sw.spawn_for(channel, self._half_dialplan(channel, half, behavior))
        else:
            sw.timeline.open(sw.timeline.idle, channel.id, sw.slot(), None)  # a phone's RTP
            channel.talk_s = behavior.talk_s
            if behavior.hangup_after_s is not None:
                due_s = sw.clock.now_s() + behavior.hangup_after_s
                sw.spawn_for(channel, self._hang_up_at(channel, due_s))
        if behavior.press is not None:
            sw.spawn_for(
                channel, self._keep_pressing(channel, behavior.press, behavior.press_every_s)
            )
        if behavior.speak is not None:
            await self.router.stream(channel, audio.frames_of(behavior.speak.read_bytes()))

    def _behavior(self, endpoint: str) -> EndpointBehavior:
        """An endpoint's configured behaviour, else an outside number's (`numberplan`)."""
        if endpoint in self.sw.endpoints:
            return self.sw.endpoints[endpoint]
        number = trunk_number(endpoint)
        return outside_behavior(number) if number is not None else EndpointBehavior()

    async def _keep_pressing(self, channel: Channel, digit: str, every_s: float) -> None:
        """The far end presses `digit` every `every_s` switch seconds while the call is up."""
        while True:
            await self.sw.clock.sleep(every_s)
            if channel.id not in self.sw.channels:
                return
            self.press(channel, digit)

    def _undial(self, channel: Channel, cause: int) -> None:
        half = self.sw.other_half(channel)
        self.sw.destroy_channel(channel, cause)
        if half is not None:
            self.sw.destroy_channel(half, cause)

    async def _half_dialplan(self, l1: Channel, l2: Channel, behavior: EndpointBehavior) -> None:
        """The `;2` half after `Answer()`: `Wait(hangup_after_s)`, then `Hangup()`."""
        sw = self.sw
        await sw.clock.sleep(l2.answer_done_s - sw.clock.now_s())
        wait = behavior.hangup_after_s
        l2.priority += 1
        with sw.scripted(l2.answer_done_s):
            sw.dialplan_step(l2, "Wait", f"{wait:g}" if wait is not None else "3600")
            if l2.callerid_pending:
                sw.caller_id_event(l2)
        if wait is not None:
            await self._hang_up_at(l1, l2.answer_done_s + wait)

    async def _hang_up_at(self, channel: Channel, due_s: float) -> None:
        """The far end hangs up at switch time `due_s`."""
        await self.sw.clock.sleep(due_s - self.sw.clock.now_s())
        with self.sw.scripted(due_s):
            self.sw.hangup_channel(channel, cause=16, soft=False, by="caller")

    def create(self, p: dict[str, str], variables: dict[str, str]) -> Json:
        channel = self._outbound_channel(p["endpoint"], p, "", "")
        channel.variables.update(variables)
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        self.sw.stasis_start(channel, p["app"], args)
        return channel.to_json()

    def dial(self, channel_id: str, timeout_s: int) -> None:
        channel = self.sw.control(channel_id)
        endpoint = channel.name.rsplit("-", 1)[0].removesuffix(";1")
        self.sw.spawn_for(channel, self._dial_created(channel, endpoint, timeout_s or 30))

    async def _dial_created(self, channel: Channel, endpoint: str, timeout_s: float) -> None:
        sw = self.sw
        behavior = self._behavior(endpoint)
        dialstring = endpoint.partition("/")[2]
        sw.emit_dial(channel, "", dialstring)
        if behavior.busy or behavior.never_answer:
            if behavior.never_answer:
                await sw.clock.sleep(timeout_s)
            sw.emit_dial(channel, "BUSY" if behavior.busy else "NOANSWER", dialstring)
            return
        await sw.clock.sleep(behavior.answer_after_s)
        channel.state = "Up"
        sw.emit_channel(channel, "ChannelStateChange")
        sw.emit_dial(channel, "ANSWER", dialstring)

    # ---- channel operations ----------------------------------------------------------------

    def answer(self, channel_id: str) -> None:
        channel = self.sw.controllable(channel_id)
        if channel.state != "Up":
            channel.state = "Up"
            if channel.idle_audio == "silence":
                self.sw.timeline.open(self.sw.timeline.idle, channel.id, self.sw.slot(), None)
            self.sw.emit_channel(channel, "ChannelStateChange")
            observer = self.sw.observer_of(channel.id)
            if observer is not None:
                observer.on_answer()

    def hangup_rest(self, channel_id: str, reason: str | None, reason_code: str | None) -> None:
        channel = self.sw.channel(channel_id)
        if reason_code:
            cause = int(reason_code) if reason_code.isdigit() else 16
        else:
            found = HANGUP_REASONS.get(reason or "normal")
            if found is None:
                raise AriErrorReply(400, "Invalid reason for hangup provided")
            cause = found
        self.sw.hangup_channel(channel, cause=cause, soft=True, by="app")

    def ring(self, channel_id: str) -> None:
        self.sw.controllable(channel_id)

    def moh(self, channel_id: str, moh_class: str | None) -> None:
        channel = self.sw.controllable(channel_id)
        self.sw.start_moh(channel, moh_class or "default")

    def stop_moh(self, channel_id: str) -> None:
        self.sw.end_moh(self.sw.controllable(channel_id))

    def hold(self, channel_id: str, on: bool) -> None:
        self.sw.controllable(channel_id).variables["SANDBOX_HOLD"] = "1" if on else "0"

    def send_dtmf(self, channel_id: str, dtmf: str | None) -> None:
        channel = self.sw.controllable(channel_id)
        if not dtmf:
            raise AriErrorReply(400, "DTMF is required")
        observer = self.sw.observer_of(channel.id)
        if observer is not None:
            observer.note_dtmf_sent(dtmf, self.sw.clock.now_s())

    def get_variable(self, channel_id: str, name: str) -> Json:
        channel = self.sw.control(channel_id)
        value = channel.variables.get(name)
        if value is None:
            raise AriErrorReply(404, "Provided variable was not found")
        return {"value": value}

    def set_variable(self, channel_id: str, name: str, value: str) -> None:
        channel = self.sw.control(channel_id)
        channel.variables[name] = value
        self.sw.emit_channel(channel, "ChannelVarset", variable=name, value=value)

    def continue_in_dialplan(self, channel_id: str) -> None:
        self.sw.continue_in_dialplan(self.sw.controllable(channel_id))

    def snoop(self, channel_id: str, p: dict[str, str], snoop_id: str | None) -> Json:
        """A snoop channel on `channel_id`: a frame every 20 ms of what it says (`spy=in`),
        hears (`out`) or both, from now until it ends; what the snoop's bridge feeds it is
        whispered to the channel (`whisper=out`), to its bridge peers (`in`) or both."""
        spied = self.sw.control(channel_id)
        seq = next(self.sw.snoop_seq)
        snoop = self.sw.new_channel(snoop_id, f"Snoop/{spied.id}-{seq:08x}", "Up")
        snoop.kind, snoop.spied_id, snoop.spy = "snoop", spied.id, p.get("spy", "none")
        self.sw.snoops_of.setdefault(spied.id, set()).add(snoop.id)
        whisper = p.get("whisper", "none")
        self.sw.timeline.snoops[snoop.id] = Snoop(
            spied.id, snoop.spy, Span(self.sw.slot()), whisper
        )
        snoop.originated = False
        body = snoop.to_json()
        args = p["appArgs"].split(",") if p.get("appArgs") else []
        self.sw.stasis_start(snoop, p["app"], args)
        return body

    # ---- the far end -------------------------------------------------------------------------

    def press(self, channel: Channel, digit: str, at_s: float | None = None) -> None:
        """A DTMF digit the far end sent (ChannelDtmfReceived at the end of the tone, switch
        time `at_s` as scheduled by the scenario)."""
        duration_ms = self.sw.config.dtmf_duration_ms
        self.sw.emit_channel(
            channel, "ChannelDtmfReceived", at_s, digit=digit, duration_ms=duration_ms
        )
        for rec in list(self.sw.live_recordings.values()):
            on = rec.terminate_on
            if rec.target_uri == f"channel:{channel.id}" and (on == "any" or on == digit):
                rec.done.set()
        self.router.media_dtmf(channel, digit)


def parse_caller_id(caller_id: str) -> tuple[str, str]:
    """`"Name" <123>` -> ("123", "Name"); a bare number -> (number, "")."""
    if "<" in caller_id and caller_id.endswith(">"):
        name, _, number = caller_id[:-1].rpartition("<")
        return number.strip(), name.strip().strip('"')
    return caller_id.strip(), ""
