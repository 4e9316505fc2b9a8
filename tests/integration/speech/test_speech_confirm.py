"""Confirmation round trips, end to end on the Korean test model: a caller says "잔고 조회요"
(heard as a near match of "잔고 조회": the intent matcher is unsure), hears the yes/no question, and
answers yes (네), no (아니요), or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ivr.app import App
from ivr.call.session import CallSession
from ivr.sandbox.caller import ScenarioCall, Transcript
from ivr.sandbox.scenario import Hangup, Press, Scenario, Speak, Step, WaitFor
from tests.helpers import until
from tests.integration.speech.conftest import SpeechApp

CONFIRM_LINE = "99902"  # test_korean_confirm.yaml
QUESTION = "잔고 조회 맞습니까? 맞으면 1번, 아니면 2번을 누르세요."
CALL_TIMEOUT_S = 60.0


async def call_with(app: App, steps: tuple[Step, ...]) -> tuple[CallSession, Transcript]:
    assert app.switch is not None
    scenario = Scenario(dialed=CONFIRM_LINE, caller="01012345678", steps=steps)
    call: ScenarioCall = await app.switch.place_call(scenario)
    session: CallSession = await until(
        lambda: app.sessions.get(call.channel_id), what="the call's session"
    )
    return session, await call.finished(CALL_TIMEOUT_S)


def asked(wav: Path) -> tuple[Step, ...]:
    """Speak after the menu prompt, then wait until the question has been asked (it starts
    while the caller's utterance still trails off)."""
    return (WaitFor("prompt_start"), WaitFor("prompt_end"), Speak(wav), WaitFor("prompt_end"))


async def prompts(app: App, session: CallSession) -> list[str]:
    """The prompt texts the call played, in order (from its stored trace)."""
    await app.call_records.flush()
    assert session.call_id is not None
    detail = await app.store.get_call(session.call_id)
    assert detail is not None
    return [
        str(t.detail["text"]) for t in detail.trace if t.kind == "prompt" and "text" in t.detail
    ]


async def test_yes_acts_on_the_option(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    async with speech_app() as app:
        steps = (*asked(korean_wavs("잔고 조회요")), Speak(korean_wavs("네")))
        session, _ = await call_with(app, steps)
        said = await prompts(app, session)
        assert QUESTION in said
        assert session.hangup_cause == "ivr:balance"
        assert said[-1] == "잔고 조회입니다."


async def test_yes_by_key_acts_on_the_option(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    async with speech_app() as app:
        steps = (*asked(korean_wavs("잔고 조회요")), Press("1"))
        session, _ = await call_with(app, steps)
        said = await prompts(app, session)
        assert QUESTION in said
        assert session.hangup_cause == "ivr:balance"


async def test_no_re_asks_the_menu(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    async with speech_app() as app:
        steps = (
            *asked(korean_wavs("잔고 조회요")), Speak(korean_wavs("아니요")),
            WaitFor("prompt_end"), Hangup(),
        )  # fmt: skip  # the menu asked again (both prompts played out), then the caller leaves
        session, _ = await call_with(app, steps)
        said = await prompts(app, session)
        assert said[said.index(QUESTION) + 1 :][:2] == [
            "잘못 입력하셨습니다.",
            "상담원은 1번, 잔고 조회는 3번을 누르거나 말씀하세요.",
        ]
        assert session.state is not None
        assert session.state.node == "main_menu"
        assert session.state.retries in (1, 2)  # 2: live endpointing split the first utterance
        assert session.state.variables.get("intent", "") == ""


async def test_silence_after_the_question_re_asks_the_menu(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    async with speech_app() as app:
        steps = (
            *asked(korean_wavs("잔고 조회요")), WaitFor("prompt_end"), Hangup(),
        )  # fmt: skip
        session, _ = await call_with(app, steps)
        said = await prompts(app, session)
        assert said[said.index(QUESTION) + 1 :][:2] == [
            "입력이 없습니다.",
            "상담원은 1번, 잔고 조회는 3번을 누르거나 말씀하세요.",
        ]
        assert session.state is not None
        assert session.state.node == "main_menu"
        assert session.state.retries in (1, 2)  # 2: live endpointing split the first utterance
