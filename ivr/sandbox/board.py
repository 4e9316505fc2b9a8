"""The sandbox switch's parts wired together: what the HTTP face and scenario calls drive.

Role: `Switchboard` is the switch's core (`SwitchCore`: state, bridge membership, hang-ups)
with one collaborator per concern —
`channel_ops` (channels.py), `player` (playback.py), `recorder` (recorder.py), `bridging`
(bridging.py), `router` (extmedia.py: external media and audio routing) — plus the scenario
calls placed into the dialplan (`place_call`), the read-only application and system
resources (`/applications`, `/asterisk/info`, `/asterisk/ping`), and `media_log`: second by
second, how loud what a channel heard and said was (the reference a recording is held to).

Rules: no HTTP here (`server.py` maps HTTP onto a `Switchboard`; `switch.py` adds the server's
lifecycle and the test-facing controls). Scenario calls press digits through `press`, so one
hook sees every digit the far end sends.
"""

from __future__ import annotations

import numpy as np

from ivr.sandbox.audio import RATE_8K
from ivr.sandbox.bridging import Bridging
from ivr.sandbox.caller import ScenarioCall
from ivr.sandbox.channels import ChannelOps
from ivr.sandbox.config import AriErrorReply, SandboxConfig, SandboxError
from ivr.sandbox.events import Json
from ivr.sandbox.extmedia import MediaRouter
from ivr.sandbox.hangup import SwitchCore
from ivr.sandbox.model import Channel
from ivr.sandbox.playback import Player
from ivr.sandbox.recorder import Recorder
from ivr.sandbox.scenario import Scenario


class Switchboard(SwitchCore):
    """The switch's state with its collaborators and scenario calls."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        super().__init__(config)
        self.router = MediaRouter(self)
        self.player = Player(self)
        self.bridging = Bridging(self)
        self.recorder = Recorder(self)
        self.channel_ops = ChannelOps(self, self.router)
        self.calls: dict[str, ScenarioCall] = {}

    # ---- scenario calls ----------------------------------------------------------------------

    async def place_call(
        self,
        scenario: Scenario,
        channel_ids: tuple[str, str] | None = None,
        at_s: float | None = None,
    ) -> ScenarioCall:
        """Ring a scenario call into the dialplan (Local ;2 half enters Stasis in Ring);
        `channel_ids`: the ids of its `;1` and `;2` halves (default: generated); `at_s`: the
        switch time the call was planned for (its script's schedule starts there, even if a
        loaded machine places it late; default: now)."""
        self.endpoints.update(scenario.endpoints)
        ops = self.channel_ops
        start_s = self.clock.now_s() if at_s is None else at_s
        l1, l2 = ops.inbound_pair(
            scenario.dialed, scenario.caller, scenario.caller_name, channel_ids or (None, None)
        )
        l2.language = scenario.language or self.config.language
        l2.idle_audio = scenario.idle_audio
        call = ScenarioCall(self, scenario, l2.id, start_s=start_s)
        self.calls[call.call_id] = call
        self.observers[l2.id] = call
        ops.enter_dialplan_stasis(l1, l2)
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

    def press(self, channel: Channel, digit: str, at_s: float | None = None) -> None:
        """A DTMF digit the far end sent (see `ChannelOps.press`)."""
        self.channel_ops.press(channel, digit, at_s)

    def media_log(self, channel_id: str) -> list[float]:
        """RMS per second (source level) of everything audible on the channel, from its
        creation to its end (or now): what it heard (prompts, bridge parties, music on hold)
        and what its far end said. A `spy=both` snoop recording of it holds the same, about
        6 dB lower."""
        life = self.timeline.lives.get(channel_id)
        if life is None:
            raise SandboxError(f"no channel {channel_id!r} on this switch")
        end = life.end if life.end is not None else self.slot()
        frames = self.mixer.heard_and_said(channel_id, life.start, max(life.start, end))
        pcm = frames.pcm.reshape(-1).astype(np.float64)
        seconds = [pcm[i : i + RATE_8K] for i in range(0, len(pcm), RATE_8K)]
        return [round(float(np.sqrt(np.mean(second**2))), 1) for second in seconds]

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
