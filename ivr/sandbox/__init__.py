"""The sandbox switch: an ARI-compatible stand-in for Asterisk 22 for tests and `ivr serve`.

Owns: a real aiohttp server speaking the ARI endpoints the app uses (REST, `/ari/events`,
chan_websocket media) with Asterisk's codes, messages and event order
(`docs/asterisk-behaviour.md`), the media paths a real one has (what each party sends and
hears, so recordings hold what a real one would), scripted scenario callers and their
transcripts, stand-in sounds, and fault injection. Layout, bottom to top: `config`, `model`,
`audio`, `media`, `events`, `routes`, `timeline` (the media log) -> `mixer` (frame paths),
`sounds` -> `state` (shared state) -> `members` (bridge membership, playback endings) ->
`hangup` (how channels end) -> `bridging`, `playback`, `recorder`, `extmedia`, `channels` ->
`scenario` (files), `caller` (running calls) -> `board` (the parts wired together) ->
`handlers`, `server` (HTTP) -> `switch` (the `SandboxSwitch` facade).

Must not import: the app's own layers (`ivr.ari`, `ivr.call`, `ivr.queue`, `ivr.web`,
`ivr.engine`, ...): it stands in for Asterisk, so it knows only ARI; only `ivr.errors` is
shared. Inside, a module never imports one above it (no cycles).

Public API: `SandboxSwitch(config)`, `SandboxConfig`, `EndpointBehavior`, scenarios
(`Scenario`, `load_scenario`, `scenario_from_dict`, `ScenarioCall`, `Transcript`).
"""

from ivr.sandbox.caller import ScenarioCall, Transcript
from ivr.sandbox.config import (
    AriErrorReply,
    EndpointBehavior,
    SandboxConfig,
    SandboxError,
    ScenarioError,
)
from ivr.sandbox.scenario import (
    Scenario,
    endpoint_behavior,
    load_scenario,
    scenario_from_dict,
)
from ivr.sandbox.state import RequestRecord
from ivr.sandbox.switch import SandboxSwitch

__all__ = [
    "AriErrorReply",
    "EndpointBehavior",
    "RequestRecord",
    "SandboxConfig",
    "SandboxError",
    "SandboxSwitch",
    "Scenario",
    "ScenarioCall",
    "ScenarioError",
    "Transcript",
    "endpoint_behavior",
    "load_scenario",
    "scenario_from_dict",
]
