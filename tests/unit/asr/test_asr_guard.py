"""The out-of-grammar guard's second opinions (pure): word confidences, a clipped start, and the
free-form pass's decoding score against the grammar's (margin per second of speech)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from asr.intent import (
    Accept,
    Confirm,
    Evidence,
    MenuOption,
    Reject,
    Thresholds,
    Transcript,
    Word,
    decide,
    score_margin,
    syllables,
)

KO = [
    MenuOption("agent", ("상담원",)),
    MenuOption("emergency", ("비상",)),
    MenuOption("balance", ("잔고 조회",)),
]
QUESTION = "상담원, 맞습니까? 맞으면 1번을 누르세요."


def grammar(word: str, confidence: float = 1.0, score: float | None = 150.0) -> Transcript:
    return Transcript(word, (Word(word, confidence),), confidence, score)


def freeform(text: str, score: float) -> Transcript:
    return Transcript(text, (), 0.0, score)


def ko(heard: Transcript, free: Transcript | None = None, **evidence: int | bool) -> object:
    return decide(
        KO,
        heard,
        grammar_mode=True,
        freeform=free,
        language="ko",
        evidence=Evidence(**evidence),  # type: ignore[arg-type]
    )


def test_margin_is_grammar_minus_freeform_score_per_second_of_speech() -> None:
    assert score_margin(grammar("상담원", score=150.0), freeform("욧", 160.0), 500) == -20.0
    assert score_margin(grammar("상담원", score=150.0), freeform("욧", 160.0), 50) == -50.0
    assert score_margin(grammar("상담원", score=None), freeform("욧", 160.0), 500) is None
    assert score_margin(grammar("상담원"), None, 500) is None


def test_a_grammar_word_far_outscored_by_freeform_speech_is_out_of_grammar() -> None:
    heard = grammar("상담원", score=150.0)
    assert ko(heard, freeform("다 만 났어요", 178.0), speech_ms=750) == Reject("out-of-grammar")
    # in-grammar words measured with the Korean model: margins from -15 to +28 per second
    assert ko(heard, freeform("저 이 월 이다", 158.0), speech_ms=700) == Accept("agent", 1.0, 1.0)


def test_a_clipped_fragment_is_acted_on_only_when_the_grammar_explains_it_best() -> None:
    heard = grammar("상담원", score=150.0)
    assert ko(heard, freeform("다 만 났어요", 167.0), clipped=True, speech_ms=1000) == Reject(
        "clipped"
    )  # -17 per second
    assert ko(heard, freeform("[2] 월", 146.0), clipped=True, speech_ms=500) == Accept(
        "agent", 1.0, 1.0
    )
    # 320 ms for three syllables: too short to be 상담원, whatever the scores
    assert ko(heard, freeform("이어", 140.0), clipped=True, speech_ms=320) == Reject("clipped")


def test_syllables_are_counted_per_script() -> None:
    assert [syllables(t) for t in ("상담원", "잔고 조회", "紧急下单", "operator", "[unk] 네")] == [
        3,
        4,
        4,
        4,
        1,
    ]


def test_a_clipped_fragment_without_a_second_opinion_is_only_asked_about() -> None:
    assert ko(grammar("상담원"), clipped=True, speech_ms=600) == Confirm(
        "agent", QUESTION, 1.0, 1.0
    )


def test_low_word_confidence_asks_or_rejects_whatever_the_freeform_pass_says() -> None:
    good = freeform("저 이 월 이다", 150.0)
    assert ko(grammar("상담원", 0.4), good, speech_ms=600) == Confirm("agent", QUESTION, 1.0, 0.4)
    assert ko(grammar("상담원", 0.2), good, speech_ms=600) == Reject("low-confidence")


@pytest.mark.parametrize("margin_per_s", [-10.0, -40.0])
def test_the_margin_threshold_is_a_setting(margin_per_s: float) -> None:
    strict = replace(Thresholds(), min_margin_per_s=margin_per_s)
    decision = decide(
        KO,
        grammar("비상", score=150.0),
        grammar_mode=True,
        freeform=freeform("이 있어", 165.0),
        language="ko",
        thresholds=strict,
        evidence=Evidence(speech_ms=500),  # margin -30 per second
    )
    assert isinstance(decision, Reject if margin_per_s == -10.0 else Accept)


def test_free_form_mode_ignores_the_grammar_guard() -> None:
    decision = decide(
        KO, grammar("상담원", score=None), grammar_mode=False, evidence=Evidence(clipped=True)
    )
    assert decision == Accept("agent", 1.0, 1.0)
