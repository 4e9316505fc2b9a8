"""The replay key (`*` by default): hear the menu or digit-entry prompt again, no attempt lost."""

from __future__ import annotations

from ivr.engine import commands as c
from ivr.engine.events import DigitPressed, PlaybackId, PromptFinished, SpeechRecognised, TimerName
from tests.unit.engine.helpers_engine import Call, actions, flows_from, texts

INPUT = TimerName("input")
FLOW = """
flow: replay
languages: [zh-CN]
start: main
defaults:
  fallback: bye
  no_match_prompt: {zh-CN: 不对。}
nodes:
  main:
    type: menu
    prompt: {zh-CN: 查询请按1。}
    confirm_below: 0.8
    retries: 1
    options:
      - {key: "1", phrases: {zh-CN: [查询]}, next: pin}
  pin:
    type: collect
    prompt: {zh-CN: 请输入密码，以井号键结束。}
    var: pin
    next: bye
    min_digits: 4
    max_digits: 6
  bye: {type: hangup, reason: done}
"""


def test_star_replays_the_menu_prompt_and_counts_no_attempt() -> None:
    call = Call(flows_from(FLOW), "replay")
    call.send(PromptFinished(PlaybackId("pb-1")))
    out = call.send(DigitPressed("*"))
    assert c.CancelTimer(INPUT) in out
    assert texts(out) == ["查询请按1。"]
    assert call.state.retries == 0
    assert call.state.node == "main"


def test_star_while_the_prompt_plays_restarts_it() -> None:
    call = Call(flows_from(FLOW), "replay")
    out = call.send(DigitPressed("*"))
    assert actions(out)[0] == c.StopPlayback(PlaybackId("pb-1"))
    assert texts(out) == ["查询请按1。"]


def test_star_in_digit_entry_drops_the_digits_and_replays() -> None:
    call = Call(flows_from(FLOW), "replay")
    call.send(DigitPressed("1"))
    call.send(PromptFinished(PlaybackId("pb-2")))
    call.send(DigitPressed("9"))
    out = call.send(DigitPressed("*"))
    assert texts(out) == ["请输入密码，以井号键结束。"]
    assert call.state.digits == ""
    for digit in "1234#":
        call.send(DigitPressed(digit))
    assert call.state.finished
    assert call.state.variables["pin"] == "1234"


def test_star_while_confirming_asks_the_question_again() -> None:
    call = Call(flows_from(FLOW), "replay")
    call.send(SpeechRecognised("查询", 0.6))
    out = call.send(DigitPressed("*"))
    assert texts(out) == ["您是要查询吗？是请按1，不是请按2。"]
    assert call.state.confirming == 0


def test_a_menu_that_uses_the_key_keeps_it_and_no_key_turns_it_off() -> None:
    own = FLOW.replace('{key: "1", phrases', '{key: "*", phrases')
    call = Call(flows_from(own), "replay")
    call.send(DigitPressed("*"))
    assert call.state.node == "pin"
    off = Call(flows_from('replay_key: ""\n' + FLOW), "replay")
    off.send(PromptFinished(PlaybackId("pb-1")))
    assert texts(off.send(DigitPressed("*"))) == ["不对。", "查询请按1。"]
    assert off.state.retries == 1
