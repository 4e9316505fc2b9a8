"""The simulator and live calls agree: 30 caller inputs (keys, silence, spoken phrases, near
misses, out-of-grammar sentences) go through `ivr.engine.sim.simulate` and through live sandbox
calls on the Korean test flow (speech as espeak-ng audio -> Vosk -> the live matcher).

Compared per input: the node the call ends in, the chosen intent, and the prompts played. Where
recognition made the live transcript differ from the text the simulator was given, the
simulator is run again on the text the live call recognised, and the matcher's decision on the
live utterance is recomputed with the shared entry (`ivr.engine.hearing.hear`) from what the
recognizer reported: both must agree with the live call. A live decision that audio evidence
changed (low word confidence, a clipped start, the free-form pass) is named with its reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asr.intent import Decision, Reject
from ivr.app import App
from ivr.call.session import CallSession
from ivr.engine.hearing import hear, text_transcript
from ivr.engine.loader import load_flows
from ivr.engine.model import FlowSet
from ivr.engine.sim import parse_inputs, simulate
from ivr.sandbox.scenario import Press, Scenario, Speak, Step, WaitFor
from tests.helpers import until
from tests.integration.call.conftest import MONDAY_10AM
from tests.integration.speech.conftest import KOREAN_FLOW, KOREAN_LINE, SpeechApp

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 90.0
AT_ONCE = 10  # live calls in flight together

# (inputs as simulator tokens); speech only as the first input (listening is set up while the
# first prompt plays; later menus listen anew)
INPUTS: tuple[str, ...] = (
    # keys
    "1",
    "2",
    "3",
    "4",
    "9,2",
    "0,3",
    "5,1",
    "7,8",
    "*,4",
    "44",
    # silence (the input timer), then keys
    "wait,wait",
    "wait,1",
    "wait,3",
    "wait,9",
    # in-grammar phrases
    "say:상담원",
    "say:비상",
    "say:잔고 조회",
    "say:계좌",
    "say:비상,2",
    "say:계좌,4",
    # near misses
    "say:상담원이요",
    "say:비상입니다",
    "say:잔고 조회요",
    "say:계좌 조회",
    # out of grammar
    "say:안녕하세요 날씨가 좋네요",
    "say:주문 취소",
    "say:오늘 주가가 많이 올랐어요",
    "say:감사합니다",
    "say:안녕하세요 날씨가 좋네요,3",
    "say:여보세요,wait",
)


@dataclass(frozen=True, slots=True)
class Ending:
    """What a caller experiences: the node the call ends in, the intent, the prompts heard."""

    node: str
    intent: str
    prompts: tuple[str, ...]


def live_steps(inputs: str, wav: Callable[[str], Path]) -> tuple[Step, ...]:
    """Each input once the prompts playing have ended (silence: nothing, the timer runs)."""
    steps: list[Step] = []
    for token in inputs.split(","):
        steps.append(WaitFor("prompt_end"))
        if token.startswith("say:"):
            steps.append(Speak(wav(token[4:])))
        elif token != "wait":
            steps.append(Press(token))
    return tuple(steps)


def simulated(flows: FlowSet, inputs: str) -> Ending:
    result = simulate(
        flows,
        "test_korean",
        parse_inputs(inputs),
        language="ko",
        dialed=KOREAN_LINE,
        now=MONDAY_10AM,
    )
    # inputs that run out leave the call waiting in the menu: the live timer then runs out
    if result.outcome.kind == "waiting":
        tail = ",wait" * (1 + result.state.retries)
        return simulated(flows, inputs + tail)
    intent = str(result.state.variables.get("intent", ""))
    return Ending(result.state.node, intent, tuple(result.prompts))


async def live_call(app: App, steps: tuple[Step, ...]) -> CallSession:
    assert app.switch is not None
    scenario = Scenario(dialed=KOREAN_LINE, caller="01012345678", steps=steps)
    call = await app.switch.place_call(scenario)
    session: CallSession = await until(
        lambda: app.sessions.get(call.channel_id), what="the call's session"
    )
    await call.finished(CALL_TIMEOUT_S)
    return session


async def live_ending(app: App, session: CallSession) -> Ending:
    assert session.state is not None
    assert session.call_id is not None
    detail = await app.store.get_call(session.call_id)
    assert detail is not None
    prompts = tuple(
        str(t.detail["text"]) for t in detail.trace if t.kind == "prompt" and "text" in t.detail
    )
    intent = str(session.state.variables.get("intent", ""))
    return Ending(session.state.node, intent, prompts)


def verdict(decision: Decision) -> tuple[str, str]:
    """What the engine is told, without the confidence figure: kind and option (or reason)."""
    detail = decision.reason if isinstance(decision, Reject) else decision.option_id
    return type(decision).__name__, detail


def recognised_inputs(inputs: str, heard: list[str]) -> str:
    """`inputs` with each `say:` replaced by what the live call recognised."""
    said = iter(heard)
    tokens = [f"say:{next(said, '')}" if t.startswith("say:") else t for t in inputs.split(",")]
    return ",".join(t if t != "say:" else "wait" for t in tokens)  # nothing heard: silence


async def test_simulate_and_live_calls_agree_on_30_inputs(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    assert len(INPUTS) == 30
    flows = load_flows([KOREAN_FLOW])
    steps = {inputs: live_steps(inputs, korean_wavs) for inputs in INPUTS}  # WAVs made first
    async with speech_app() as app:
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(inputs: str) -> CallSession:
            async with gate:
                return await live_call(app, steps[inputs])

        sessions = await asyncio.gather(*(one(inputs) for inputs in INPUTS))
        await until(lambda: not app.sessions, timeout_s=10, what="all calls ended")
        await app.call_records.flush()
        live = [await live_ending(app, s) for s in sessions]
        assert app.deps.speech is not None
        thresholds = app.deps.speech.guard.thresholds

    report: list[str] = []
    for inputs, session, ending in zip(INPUTS, sessions, live, strict=True):
        if inputs.startswith("say:"):  # the live matcher heard it
            assert session.speech is not None, inputs
            assert session.speech.heard, inputs
        expected = simulated(flows, inputs)
        if ending == expected:
            continue
        assert "say:" in inputs, f"{inputs}: live {ending} != simulated {expected}"
        # recognition made the difference: the live matcher's decisions, recomputed from what
        # the recognizer reported, are the live ones, and the simulator given the recognised
        # text ends as the live call did unless audio evidence changed a decision
        assert session.speech is not None
        evidence_changed = []
        for heard in session.speech.heard:
            final = heard.final
            again = hear(
                heard.grammar,
                "ko",
                final.transcript,
                freeform=final.freeform,
                evidence=final.evidence,
                thresholds=thresholds,
            )
            assert again == heard.decision, f"{inputs}: matcher differs on {final.text!r}"
            text_only = hear(heard.grammar, "ko", text_transcript(final.text))
            if verdict(heard.decision) != verdict(text_only):
                evidence_changed.append(f"{final.text!r}: {verdict(heard.decision)}")
        recognised = recognised_inputs(inputs, [h.final.text for h in session.speech.heard])
        if not evidence_changed:
            again_sim = simulated(flows, recognised)
            assert again_sim == ending, f"{inputs} heard as {recognised}: {again_sim} != {ending}"
        report.append(f"{inputs}: heard as {recognised}; audio evidence: {evidence_changed}")
    log.info("live differs from the text given, explained by recognition:\n%s", "\n".join(report))
    assert len(report) <= len([i for i in INPUTS if i.startswith("say:")]) // 2, report
