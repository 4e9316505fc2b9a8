"""The sandbox switch's parts wired together: what the HTTP face and scenario calls drive.

Role: `Switchboard` is the switch state (`SwitchState`) with one collaborator per concern —
`channel_ops` (channels.py), `player` (playback.py), `recorder` (recorder.py), `bridging`
(bridging.py), `router` (extmedia.py: external media and audio routing) — plus the scenario
calls placed into the dialplan (`place_call`) and the read-only application and system
resources (`/applications`, `/asterisk/info`, `/asterisk/ping`).

Rules: no HTTP here (`server.py` maps HTTP onto a `Switchboard`; `switch.py` adds the server's
lifecycle and the test-facing controls). Scenario calls press digits through `press`, so one
hook sees every digit the far end sends.
"""

from __future__ import annotations

from ivr.sandbox.bridging import Bridging
from ivr.sandbox.caller import ScenarioCall
from ivr.sandbox.channels import ChannelOps
from ivr.sandbox.config import AriErrorReply, SandboxConfig, SandboxError
from ivr.sandbox.events import Json
from ivr.sandbox.extmedia import MediaRouter
from ivr.sandbox.model import Channel
from ivr.sandbox.playback import Player
from ivr.sandbox.recorder import Recorder
from ivr.sandbox.scenario import Scenario
from ivr.sandbox.state import SwitchState


class Switchboard(SwitchState):
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

    async def place_call(self, scenario: Scenario) -> ScenarioCall:
        """Ring a scenario call into the dialplan (Local ;2 half enters Stasis in Ring)."""
        self.endpoints.update(scenario.endpoints)
        ops = self.channel_ops
        l1, l2 = ops.inbound_pair(scenario.dialed, scenario.caller, scenario.caller_name)
        l2.language = scenario.language or self.config.language
        call = ScenarioCall(self, scenario, l2.id)
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
