"""One meaning per name: a public class or type name is defined once across `ivr`, `asr`,
`queueing`, `recordings` and `errorbase`, unless it is listed below with the reason it may repeat.

A new duplicate fails here: rename it (say what it is: `QueueStay`, not `Offer`; `OutboundCallView`,
not `CallView`) or, when both sides mean the same thing and may not import each other, add it to
`SHARED` with that reason.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("ivr", "asr", "queueing", "recordings", "errorbase")

_ARI_MIRROR = "the ARI client's model and the sandbox's own (the sandbox stands in for Asterisk)"
_MACHINES = "a step or event of two pure machines (waiting-call lifecycle, call control/transfers)"
_LOCAL_ALIAS = "a module-local alias of a callable or union shape, never imported elsewhere"

SHARED: dict[str, str] = {
    # the same meaning on both sides of an import boundary that forbids one to import the other
    "Bridge": _ARI_MIRROR,
    "BridgeId": _ARI_MIRROR,
    "Channel": _ARI_MIRROR,
    "ChannelId": _ARI_MIRROR,
    "LiveRecording": _ARI_MIRROR,
    "Playback": _ARI_MIRROR,
    "PlaybackId": _ARI_MIRROR + "; the engine's event ids too (the engine imports no ARI)",
    "CallKey": "the caller's channel id in `ivr.ari` (imports only errors) and `queueing`",
    "Base": "each SQL package's declarative base (`recordings` never imports `ivr`)",
    "WavInfo": "WAV header facts: sandbox and `recordings` (neither imports the other)",
    "AuditEntry": "an audit row of flow versions and of recordings (no ivr in recordings)",
    "Route": "an HTTP route of the sandbox and of the staff API (sandbox imports no web)",
    "Hangup": "a scenario caller's hang-up step; the engine's command (no engine in sandbox)",
    "NoInput": "nothing heard: the engine's event; the recognizer's result (no ivr in asr)",
    "Transcript": "what a scenario call heard (sandbox); what asr recognised (never together)",
    "SampleAccount": "a sample client of the simulator's fake back office and of the demo SQL seed",
    "PromptMedia": "the prompt-to-media port, declared by each user (the announcer, the call)",
    # each pure machine declares its own vocabulary; its shell alone executes it
    "Phase": "the phase of a call (engine), of a waiting call and of a transfer: one per machine",
    "Event": "the events of one machine (engine, waiting-call lifecycle, transfers)",
    "CallerLeft": _MACHINES,
    "HangUp": _MACHINES,
    "JoinBridge": _MACHINES,
    "DestroyBridge": _MACHINES,
    "StartMoh": _MACHINES,
    "StopMoh": _MACHINES,
    "Step": "the steps of one plan (a scenario, call control, a transfer)",
    "Transfer": "the engine's transfer command (to a dial target) and a transfer to a person",
    "Window": "a weekly time window: a flow's business hours and the dialer's calling windows",
    "Due": "when a follow-up item or an outbound call falls due, per its own policy",
    "KindPolicy": "the per-kind policy of follow-up items and of outbound calls",
    # module-local aliases
    "Action": _LOCAL_ALIAS,
    "AddCloser": _LOCAL_ALIAS,
    "Alert": _LOCAL_ALIAS,
    "Handler": _LOCAL_ALIAS,
    "Json": _LOCAL_ALIAS,
    "Parser": _LOCAL_ALIAS,
    "Result": _LOCAL_ALIAS,
    "Samples": _LOCAL_ALIAS,
    "Sleep": _LOCAL_ALIAS,
}


def _defined_names(path: Path) -> list[str]:
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                names.append(target.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in names if n[0].isupper() and not n.isupper()]  # classes and type aliases


def _definitions() -> dict[str, list[str]]:
    where: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for name in _defined_names(path):
                where[name].append(str(path.relative_to(ROOT)))
    return where


def test_no_public_name_is_defined_twice_unless_listed_with_its_reason() -> None:
    repeated = {name: paths for name, paths in _definitions().items() if len(paths) > 1}
    assert {n: p for n, p in repeated.items() if n not in SHARED} == {}


def test_every_listed_name_still_repeats() -> None:
    repeated = {name for name, paths in _definitions().items() if len(paths) > 1}
    assert sorted(set(SHARED) - repeated) == []


def test_the_names_issue_10_gave_one_meaning_stay_single() -> None:
    where = _definitions()
    for name in ("CallId", "CallState", "Outcome", "CallRecord", "StoreError", "Context",
                 "ApiError", "TradingCalendar"):  # fmt: skip
        assert len(where.get(name, [])) <= 1, (name, where.get(name))
