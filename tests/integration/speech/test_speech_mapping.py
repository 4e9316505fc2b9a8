"""What the engine is told for each decided utterance, and where the media socket lives."""

from __future__ import annotations

import pytest

from asr.intent import Accept, Confirm, Decision, Reject
from ivr.call.speech import media_base_url
from ivr.engine.events import SpeechRecognised
from ivr.engine.hearing import speech_event


@pytest.mark.parametrize(
    ("decision", "event"),
    [
        (Accept("잔고 조회", 1.0, 0.91), SpeechRecognised("잔고 조회", 0.91)),
        (Confirm("잔고 조회", "?", 0.67, 0.9), SpeechRecognised("잔고 조회", 0.67, unsure=True)),
        (Confirm("계좌", "?", 0.9, 0.35), SpeechRecognised("계좌", 0.35, unsure=True)),
        (Reject("out-of-grammar"), SpeechRecognised("", 0.0)),
        (Reject("no-match"), SpeechRecognised("", 0.0)),
        (Reject("no-speech"), None),
    ],
)
def test_speech_event_for_each_decision(decision: Decision, event: SpeechRecognised | None) -> None:
    assert speech_event(decision) == event


def test_media_base_url_is_the_ari_host() -> None:
    assert media_base_url("http://127.0.0.1:8088") == "ws://127.0.0.1:8088"
    assert media_base_url("https://pbx.example:8089/ari") == "wss://pbx.example:8089"
