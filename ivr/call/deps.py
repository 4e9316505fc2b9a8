"""What every call session shares, and the ports a call is given (built once in `ivr.app`).

`SessionDeps` is handed to each `CallSession`: the ARI client, the live flows, the ports below,
the queue hand-off, the lookup providers, the clock and metrics, and the call policy from
`settings.calls` (`default_flow`, `recorded_flows`). Ports are Protocols so the session never
imports the SQL or HTTP code behind them: `PromptMedia` (`ivr.call.media.HttpPromptMedia`),
`CallRecords` (`ivr.call.records.CallRecordWriter`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ivr.ari import AriRest
from ivr.call.admission import Admission
from ivr.call.recording import RecordingKeeper
from ivr.call.speech import SpeechService
from ivr.call.survey import SurveyAnswers
from ivr.clock import Clock
from ivr.engine import commands as cmd
from ivr.engine.model import FlowSet
from ivr.metrics import Metrics
from ivr.providers import LookupProviders
from ivr.queue.handoff import QueueHandoff


class PromptMedia(Protocol):
    """Turns an engine prompt into an ARI media URI (rendering TTS when needed)."""

    async def media_uri(self, prompt: cmd.Prompt, call: str = "") -> str:
        """A private prompt (`prompt.private`) is kept for `call` only."""
        ...

    def end_call(self, call: str) -> None:
        """Drop what was kept for `call` (its private prompts)."""
        ...


class OutboundCalls(Protocol):
    """Where an outbound call's session reports (`ivr.outbound.dialer.OutboundDialer`): the
    flow's `result` nodes, then the end of the call (after its recordings are sealed)."""

    async def report(self, leg: str, result: str, digit: str) -> None: ...

    async def ended(self, leg: str, ivr_call_id: str) -> None: ...


class CallRecords(Protocol):
    """Where the call row and its trace go (write-behind: never blocks the call)."""

    def call_started(
        self,
        key: str,
        *,
        call_id: str,
        channel_id: str,
        caller: str,
        dialed: str,
        language: str,
        flow: str,
    ) -> None: ...

    def answered(self, key: str) -> None: ...

    def queued(self, key: str, queue: str, priority: str) -> None: ...

    def trace(self, key: str, entries: Iterable[cmd.TraceEntry]) -> None: ...

    def call_ended(self, key: str, outcome: str, cause: str | None) -> None: ...


@dataclass
class SessionDeps:
    """What every call session shares (built once in `ivr.app`). `default_flow` takes calls to
    a number no flow lists; `recorded_flows` maps a flow whose calls are recorded (both
    parties, from entry) to its recording purpose (both from `settings.calls`)."""

    rest: AriRest
    flows: Callable[[], FlowSet]
    prompts: PromptMedia
    providers: LookupProviders
    handoff: QueueHandoff
    records: CallRecords
    clock: Clock
    metrics: Metrics
    app_name: str
    default_flow: str
    recorded_flows: Mapping[str, str]
    survey_flow: str = "survey"  # settings.calls.survey_flow: the satisfaction survey's flow
    transfer_context: str = "ivr-transfer"  # settings.calls.transfer_context: `transfer` nodes
    keeper: RecordingKeeper | None = None
    bind: Callable[[str, str], None] = lambda _other, _key: None
    speech: SpeechService | None = None  # None: every menu is DTMF-only
    # a supervisor alert (kind, fields without secrets); None: alerts are only logged
    alert: Callable[[str, Mapping[str, str]], Awaitable[None]] | None = None
    outbound: OutboundCalls | None = None  # None: no automated outbound calls
    unverified: str = "desk"  # security.unverified_emergency: the policy, desk | normal
    surveys: SurveyAnswers | None = None  # None: no satisfaction surveys (docs/surveys.md)
    # new calls set up at once (settings.calls.setup_concurrency; the others ring meanwhile)
    admission: Admission = field(default_factory=lambda: Admission(4))
