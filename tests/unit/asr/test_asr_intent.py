"""Intent matching: pinyin fuzzy match, thresholds, the grammar-mode false-positive guard."""

from __future__ import annotations

import pytest

from asr.intent import (
    Accept,
    Confirm,
    MenuOption,
    Reject,
    Thresholds,
    Transcript,
    Word,
    confirmation_question,
    decide,
    normalise,
    to_units,
    unit_cost,
)

ZH = [
    MenuOption("margin", ("保证金", "保证金查询")),
    MenuOption("order", ("紧急下单", "下单"), label="紧急下单"),
    MenuOption("agent", ("人工服务", "转人工")),
]
EN = [
    MenuOption("agent", ("agent", "operator")),
    MenuOption("order", ("emergency order",)),
]
KO = [
    MenuOption("agent", ("상담원",)),
    MenuOption("emergency", ("비상",)),
    MenuOption("balance", ("잔고 조회",)),
    MenuOption("account", ("계좌",)),
]


def heard(*words: tuple[str, float]) -> Transcript:
    return Transcript(
        " ".join(w for w, _ in words),
        tuple(Word(w, c) for w, c in words),
        min((c for _, c in words), default=0.0),
    )


def test_homophone_margin_picks_the_margin_option() -> None:
    decision = decide(ZH, heard(("保障金", 0.9)), grammar_mode=False)
    assert isinstance(decision, Accept)
    assert decision.option_id == "margin"
    assert decision.similarity == pytest.approx(1 - (0.5 * 1 / 3) / 3)  # zhang/zheng: final a/e


def test_homophone_xia_dan_is_xia_dan() -> None:
    assert decide(ZH, heard(("夏单", 0.9)), grammar_mode=False) == Accept("order", 1.0, 0.9)


def test_tones_are_ignored_and_near_initials_cost_little() -> None:
    [zhi], [zi] = to_units("知"), to_units("资")
    assert unit_cost(to_units("妈")[0], to_units("马")[0]) == 0.0
    assert unit_cost(zhi, zi) == pytest.approx(0.5 * 0.25)
    [lin], [ling] = to_units("林"), to_units("零")
    assert unit_cost(lin, ling) == pytest.approx(0.5 * 0.25)


def test_keyword_spotting_in_free_form_speech() -> None:
    decision = decide(ZH, heard(("我", 0.8), ("想", 0.8), ("转人工", 0.7)), grammar_mode=False)
    assert decision == Accept("agent", 1.0, 0.7)


def test_unrelated_speech_matches_nothing() -> None:
    assert decide(ZH, heard(("今天天气很好", 0.95)), grammar_mode=False) == Reject("no-match")


def test_partial_phrase_asks_for_confirmation_in_mandarin() -> None:
    decision = decide(KO[:2] + ZH[1:2], heard(("紧急", 0.9)), grammar_mode=False)
    assert decision == Confirm("order", "您是要办理紧急下单吗？确认请按1", 0.5, 0.9)


def test_low_word_confidence_confirms_then_rejects() -> None:
    assert isinstance(decide(KO, heard(("상담원", 0.4)), grammar_mode=True), Confirm)
    assert decide(KO, heard(("상담원", 0.2)), grammar_mode=True) == Reject("low-confidence")


def test_grammar_mode_words_of_two_options_are_out_of_grammar() -> None:
    forced = heard(("계좌", 1.0), ("상담원", 1.0), ("조회", 1.0))
    assert decide(KO, forced, grammar_mode=True) == Reject("out-of-grammar")


def test_grammar_mode_words_out_of_phrase_order_are_out_of_grammar() -> None:
    forced = heard(("조회", 1.0), ("잔고", 1.0))
    assert decide(KO, forced, grammar_mode=True) == Reject("out-of-grammar")


def test_grammar_mode_unk_beside_a_phrase_caps_at_confirm() -> None:
    decision = decide(KO, heard(("[unk]", 0.9), ("계좌", 1.0)), grammar_mode=True, language="ko")
    assert decision == Confirm("account", "계좌, 맞습니까? 맞으면 1번을 누르세요.", 1.0, 1.0)
    assert decide(KO, heard(("[unk]", 0.9)), grammar_mode=True) == Reject("no-match")


def test_free_form_pass_vetoes_a_contradicted_accept() -> None:
    decision = decide(
        ZH,
        heard(("保证金", 1.0)),
        grammar_mode=True,
        freeform=heard(("我要", 0.8), ("转人工", 0.9)),
    )
    assert decision == Confirm("margin", "您是要办理保证金吗？确认请按1", 1.0, 1.0)


def test_free_form_pass_upgrades_a_backed_confirm() -> None:
    decision = decide(
        ZH, heard(("保证金", 0.4)), grammar_mode=True, freeform=heard(("保障金", 0.6))
    )
    assert decision == Accept("margin", 1.0, 0.4)


def test_free_form_two_options_equally_good_is_ambiguous() -> None:
    decision = decide(ZH, heard(("保证金", 0.9), ("转人工", 0.9)), grammar_mode=False)
    assert decision == Reject("ambiguous")


def test_empty_text_is_no_speech() -> None:
    assert decide(ZH, Transcript(""), grammar_mode=True) == Reject("no-speech")


def test_english_is_normalised() -> None:
    assert normalise("  Emergency ORDER, please! ") == "emergency order please"
    decision = decide(EN, heard(("Emergency", 0.9), ("Order", 0.8)), grammar_mode=True)
    assert decision == Accept("order", 1.0, 0.8)
    decision = decide(EN, heard(("agnet", 0.9)), grammar_mode=False, language="en")
    assert isinstance(decision, Confirm)
    assert decision.question == "Did you want agent? To confirm, press 1."


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(accept_confidence=0.95)
    assert isinstance(
        decide(KO, heard(("비상", 0.9)), grammar_mode=True, thresholds=strict), Confirm
    )


def test_unknown_language_asks_in_english() -> None:
    assert confirmation_question("x", "fr") == "Did you want x? To confirm, press 1."
