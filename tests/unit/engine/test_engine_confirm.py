"""Confirmation of doubtful speech in menus (`confirm_below`): ask yes/no, then act or re-ask."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ivr.engine import commands as c
from ivr.engine.events import (
    DigitPressed,
    PlaybackId,
    PromptFinished,
    SpeechRecognised,
    TimerFired,
    TimerName,
)
from ivr.engine.loader import parse_flow
from tests.unit.engine.helpers_engine import Call, flows_from, texts

INPUT = TimerName("input")
MENU = """
flow: menu
languages: [zh-CN, en]
start: main
defaults:
  fallback: agent
  no_input_prompt: {zh-CN: 没听到。, en: No input.}
  no_match_prompt: {zh-CN: 不对。, en: Wrong.}
nodes:
  main:
    type: menu
    prompt: {zh-CN: 请选择。, en: Choose.}
    min_confidence: 0.4
    confirm_below: 0.7
    retries: 2
    options:
      - key: "1"
        phrases: {zh-CN: [账户], en: [account]}
        next: bye
      - key: "9"
        label: 紧急下单
        phrases: {zh-CN: [紧急下单], en: [emergency order]}
        next: desk
  bye: {type: hangup, reason: done}
  desk: {type: queue, queue: trading_desk, priority: emergency, on_timeout: bye}
  agent: {type: queue, queue: general}
"""
YES_NO_ZH = ("是", "是的", "对", "对的", "确认", "没错", "不是", "不对", "不", "错了", "不要")


@pytest.fixture
def call() -> Call:
    menu = Call(flows_from(MENU), "menu")
    menu.send(PromptFinished(PlaybackId("pb-1")))
    return menu


def ask(call: Call, confidence: float = 0.55, unsure: bool = False) -> list[c.Command]:
    return call.send(SpeechRecognised("紧急下单", confidence, unsure))


def test_doubtful_speech_asks_a_yes_no_question_and_listens_for_yes_no(call: Call) -> None:
    out = ask(call)
    assert texts(out) == ["您是要紧急下单吗？是请按1，不是请按2。"]
    assert c.StopRecognition() in out
    assert c.StartRecognition("zh-CN", YES_NO_ZH) in out
    assert call.state.confirming == 1
    assert call.state.node == "main"


def test_yes_by_key_or_word_acts_on_the_option(call: Call) -> None:
    ask(call)
    call.send(DigitPressed("1"))
    assert call.state.node == "desk"
    again = Call(flows_from(MENU), "menu")
    again.send(PromptFinished(PlaybackId("pb-1")))
    ask(again)
    again.send(SpeechRecognised("是的", 0.9))
    assert again.state.node == "desk"
    assert again.state.confirming is None


def test_no_re_asks_the_menu_and_counts_a_retry(call: Call) -> None:
    ask(call)
    out = call.send(SpeechRecognised("不是", 0.9))  # 不是 holds 是: still a no
    assert texts(out) == ["不对。", "请选择。"]
    assert c.StartRecognition("zh-CN", ("账户", "紧急下单")) in out
    assert (call.state.node, call.state.retries, call.state.confirming) == ("main", 1, None)


def test_silence_after_the_question_re_asks_the_menu(call: Call) -> None:
    ask(call)
    call.send(PromptFinished(PlaybackId("pb-2")))
    out = call.send(TimerFired(INPUT))
    assert texts(out) == ["没听到。", "请选择。"]
    assert (call.state.retries, call.state.confirming) == (1, None)


def test_sure_speech_acts_at_once_and_low_speech_is_retried(call: Call) -> None:
    low = Call(flows_from(MENU), "menu")
    assert texts(low.send(SpeechRecognised("紧急下单", 0.3))) == ["不对。", "请选择。"]
    ask(call, confidence=0.9)
    assert call.state.node == "desk"


def test_unsure_speech_is_confirmed_even_when_confident(call: Call) -> None:
    out = ask(call, confidence=0.95, unsure=True)
    assert texts(out) == ["您是要紧急下单吗？是请按1，不是请按2。"]


def test_unsure_speech_without_confirm_below_is_a_retry() -> None:
    plain = Call(flows_from(MENU.replace("    confirm_below: 0.7\n", "")), "menu")
    assert texts(plain.send(SpeechRecognised("紧急下单", 0.95, unsure=True))) == [
        "不对。",
        "请选择。",
    ]


def test_english_question_names_the_phrase() -> None:
    english = Call(flows_from(MENU), "menu", language="en")
    out = english.send(SpeechRecognised("account", 0.5))
    assert texts(out) == ["Did you mean account? Press 1 for yes, or 2 for no."]


def test_confirm_below_must_be_above_min_confidence() -> None:
    text = textwrap.dedent(MENU).replace("confirm_below: 0.7", "confirm_below: 0.3")
    parsed = parse_flow(Path("m.yaml"), text.encode())
    assert [str(e) for e in parsed.errors] == [
        "m.yaml:11:5: node 'main': confirm_below (0.3) must be above min_confidence (0.4): speech"
        " between the two is confirmed with a yes/no question"
    ]


def test_the_option_heard_again_while_asking_is_not_an_answer(call: Call) -> None:
    ask(call)
    out = call.send(SpeechRecognised("紧急下单", 0.9))  # the tail of the same utterance
    assert texts(out) == []
    assert call.state.confirming == 1
    call.send(DigitPressed("1"))
    assert call.state.node == "desk"


def test_noise_while_asking_is_not_an_answer(call: Call) -> None:
    ask(call)
    assert texts(call.send(SpeechRecognised("", 0.0))) == []  # the recogniser made out nothing
    assert call.state.confirming == 1
    after = call.send(SpeechRecognised("不是", 0.9))
    assert texts(after) == ["不对。", "请选择。"]
    assert call.state.retries == 1
