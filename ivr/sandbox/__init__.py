"""The sandbox switch: an ARI-compatible stand-in for Asterisk 22 for tests and `ivr serve`.

Public API: `SandboxSwitch(config)`, `SandboxConfig`, `EndpointBehavior`, scenarios
(`Scenario`, `load_scenario`, `scenario_from_dict`, `ScenarioCall`, `Transcript`).
"""

from ivr.sandbox.config import (
    AriErrorReply,
    EndpointBehavior,
    SandboxConfig,
    SandboxError,
    ScenarioError,
)
from ivr.sandbox.scenario import (
    Scenario,
    ScenarioCall,
    Transcript,
    endpoint_behavior,
    load_scenario,
    scenario_from_dict,
)
from ivr.sandbox.switch import RequestRecord, SandboxSwitch

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
