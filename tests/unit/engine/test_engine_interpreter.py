"""The pure interpreter: events in, exact (state, commands) out, for every node type."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.engine import commands as c
from ivr.engine.events import (
    CallerHungUp,
    DigitPressed,
    LookupResult,
    NoInput,
    PlaybackId,
    PromptFinished,
    QueueOutcome,
    RecordingDone,
    RequestId,
    SpeechRecognised,
    TimerFired,
    TimerName,
    UtteranceStarted,
)
from ivr.engine.interpreter import SPEECH_HOLD_S
from ivr.engine.transitions import MAX_HOPS
from tests.unit.engine.helpers_engine import Call, actions, flows_from, texts, traces

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
    timeout_s: 4
    retries: 2
    options:
      - key: "1"
        phrases: {zh-CN: [账户], en: [account]}
        intent: account_services
        next: bye
      - key: "9"
        phrases: {zh-CN: [紧急下单, 应急交易], en: [emergency order]}
        next: desk
  bye: {type: hangup, reason: done}
  desk:
    type: queue
    queue: trading_desk
    skills: {emergency_order: 3}
    priority: emergency
    max_wait_s: 120
    attributes: {reason: emergency}
    on_timeout: bye
  agent: {type: queue, queue: general}
"""


@pytest.fixture
def menu_call() -> Call:
    return Call(flows_from(MENU), "menu")


def test_menu_entry_plays_prompt_and_listens_for_phrases(menu_call: Call) -> None:
    assert actions(menu_call.last) == [
        c.PlayPrompt(PlaybackId("pb-1"), c.TtsPrompt("请选择。", "zh-CN")),
        c.StartRecognition("zh-CN", ("账户", "紧急下单", "应急交易")),
    ]
    assert menu_call.state.phase == "prompt"
    assert [t.kind for t in traces(menu_call.last)] == ["start", "enter", "prompt"]


def test_input_timer_starts_when_prompt_finishes(menu_call: Call) -> None:
    out = menu_call.send(PromptFinished(PlaybackId("pb-1")))
    assert actions(out) == [c.StartTimer(INPUT, 4.0)]
    assert menu_call.state.phase == "input"


def test_key_after_prompt_chooses_option(menu_call: Call) -> None:
    menu_call.send(PromptFinished(PlaybackId("pb-1")))
    out = menu_call.send(DigitPressed("1"))
    assert actions(out) == [c.CancelTimer(INPUT), c.StopRecognition(), c.Hangup("done")]
    assert menu_call.state.finished
    assert menu_call.state.variables["intent"] == "account_services"
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.as_dict() == {
        "outcome": "hangup",
        "reason": "done",
        "flow": "menu",
        "node": "bye",
    }


def test_barge_in_key_stops_the_prompt(menu_call: Call) -> None:
    out = menu_call.send(DigitPressed("9"))
    assert actions(out)[0] == c.StopPlayback(PlaybackId("pb-1"))
    assert c.StopRecognition() in out
    # the stopped playback reports late: ignored, nothing changes
    before = menu_call.state
    late = menu_call.send(PromptFinished(PlaybackId("pb-1")))
    assert actions(late) == []
    assert traces(late)[0].kind == "ignored"
    assert menu_call.state == before


def test_barge_in_by_speech(menu_call: Call) -> None:
    out = menu_call.send(SpeechRecognised("我要紧急下单", 0.8))
    assert actions(out)[0] == c.StopPlayback(PlaybackId("pb-1"))
    assert menu_call.state.node == "desk"
    assert menu_call.state.phase == "queued"


def test_speech_started_while_waiting_holds_the_no_input_timer_for_the_utterance(
    menu_call: Call,
) -> None:
    menu_call.send(PromptFinished(PlaybackId("pb-1")))
    assert menu_call.state.phase == "input"
    out = menu_call.send(UtteranceStarted())
    assert actions(out) == [c.StartTimer(INPUT, SPEECH_HOLD_S)]  # restarted, not 4 s
    assert [t.detail for t in traces(out)] == [{"event": "speech_started"}]
    decided = menu_call.send(SpeechRecognised("我要紧急下单", 0.8))
    assert menu_call.state.node == "desk"
    assert c.CancelTimer(INPUT) in decided


def test_an_utterance_never_decided_ends_as_no_input_after_the_hold(menu_call: Call) -> None:
    menu_call.send(PromptFinished(PlaybackId("pb-1")))
    menu_call.send(UtteranceStarted())
    out = menu_call.send(TimerFired(INPUT))
    assert texts(out) == ["没听到。", "请选择。"]
    assert menu_call.state.retries == 1


def test_speech_started_during_the_prompt_makes_the_input_timer_wait_for_the_utterance(
    menu_call: Call,
) -> None:
    out = menu_call.send(UtteranceStarted())  # barge-in: the session stops the prompt
    assert actions(out) == []
    assert menu_call.state.speaking
    out = menu_call.send(PromptFinished(PlaybackId("pb-1")))
    assert actions(out) == [c.StartTimer(INPUT, SPEECH_HOLD_S)]
    assert not menu_call.state.speaking
    menu_call.send(TimerFired(INPUT))  # nothing decided: no input, the menu again
    for playback in menu_call.state.playing:
        menu_call.send(PromptFinished(playback))
    assert menu_call.state.timers == frozenset({INPUT})
    assert actions(menu_call.all)[-1] == c.StartTimer(INPUT, 4.0)  # the next attempt: 4 s


def test_speech_started_where_no_menu_listens_is_ignored(menu_call: Call) -> None:
    menu_call.send(DigitPressed("9"))  # to the desk queue
    out = menu_call.send(UtteranceStarted())
    assert actions(out) == []
    assert traces(out)[0].kind == "ignored"


def test_queue_enqueue_carries_priority_skills_and_screen_pop(menu_call: Call) -> None:
    out = menu_call.send(DigitPressed("9"))
    enqueue = [cmd for cmd in out if isinstance(cmd, c.Enqueue)]
    assert enqueue == [
        c.Enqueue(
            queue="trading_desk",
            skills={"emergency_order": 3},
            priority="emergency",
            max_wait_s=120.0,
            attributes={
                "caller": "13900000000",
                "language": "zh-CN",
                "ivr_path": "main>desk",
                "intent": "",
                "reason": "emergency",
            },
        )
    ]
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.as_dict() == {
        "outcome": "queued",
        "queue": "trading_desk",
        "priority": "emergency",
        "skills": {"emergency_order": 3},
        "flow": "menu",
        "node": "desk",
    }


def test_queue_outcomes(menu_call: Call) -> None:
    menu_call.send(DigitPressed("9"))
    out = menu_call.send(QueueOutcome("answered", "trading_desk", "agent-7"))
    assert actions(out) == []
    assert menu_call.state.finished
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.agent_id == "agent-7"
    assert menu_call.state.outcome.kind == "answered"


def test_queue_timeout_goes_to_on_timeout(menu_call: Call) -> None:
    menu_call.send(DigitPressed("9"))
    out = menu_call.send(QueueOutcome("timeout", "trading_desk"))
    assert actions(out) == [c.Hangup("done")]


def test_queue_overflow_without_target_hangs_up(menu_call: Call) -> None:
    menu_call.send(DigitPressed("9"))
    out = menu_call.send(QueueOutcome("overflow", "trading_desk"))
    assert actions(out) == [c.Hangup("queue_overflow")]
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.reason == "queue_overflow"


def test_caller_hangup_in_queue_dequeues(menu_call: Call) -> None:
    menu_call.send(DigitPressed("9"))
    out = menu_call.send(CallerHungUp("normal"))
    assert actions(out) == [c.Dequeue("trading_desk", "caller_hangup")]
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.kind == "abandoned"


def test_hangup_mid_prompt_stops_playback_and_recognition(menu_call: Call) -> None:
    out = menu_call.send(CallerHungUp("16"))
    assert actions(out) == [c.StopPlayback(PlaybackId("pb-1")), c.StopRecognition()]
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.as_dict() == {
        "outcome": "caller_hangup",
        "reason": "16",
        "flow": "menu",
        "node": "main",
    }
    after = menu_call.send(DigitPressed("1"))
    assert actions(after) == []
    assert traces(after)[0].kind == "ignored"


def test_no_match_replays_error_then_menu_prompt(menu_call: Call) -> None:
    menu_call.send(PromptFinished(PlaybackId("pb-1")))
    out = menu_call.send(DigitPressed("7"))
    assert actions(out) == [
        c.CancelTimer(INPUT),
        c.PlayPrompt(PlaybackId("pb-2"), c.TtsPrompt("不对。", "zh-CN")),
        c.PlayPrompt(PlaybackId("pb-3"), c.TtsPrompt("请选择。", "zh-CN")),
    ]
    assert menu_call.state.retries == 1
    menu_call.send(PromptFinished(PlaybackId("pb-2")))
    assert menu_call.state.phase == "prompt"
    out = menu_call.send(PromptFinished(PlaybackId("pb-3")))
    assert actions(out) == [c.StartTimer(INPUT, 4.0)]


def test_three_no_inputs_fall_back_to_agent(menu_call: Call) -> None:
    for attempt in range(3):
        menu_call.send(PromptFinished(menu_call.state.playing[-1]))
        for playback in menu_call.state.playing:
            menu_call.send(PromptFinished(playback))
        out = menu_call.send(TimerFired(INPUT))
        if attempt < 2:
            assert texts(out) == ["没听到。", "请选择。"]
    assert menu_call.state.node == "agent"
    assert menu_call.state.outcome is not None
    assert menu_call.state.outcome.queue == "general"
    decisions = [t.detail for t in traces(menu_call.all) if t.kind == "decision"]
    assert decisions[-1] == {"next": "agent", "why": "no_input", "attempts": "3"}


def test_noinput_event_counts_like_the_timer(menu_call: Call) -> None:
    menu_call.send(PromptFinished(PlaybackId("pb-1")))
    out = menu_call.send(NoInput())
    assert c.CancelTimer(INPUT) in out
    assert texts(out) == ["没听到。", "请选择。"]


def test_low_confidence_speech_is_no_match(menu_call: Call) -> None:
    out = menu_call.send(SpeechRecognised("账户", 0.2))
    assert texts(out) == ["不对。", "请选择。"]
    assert menu_call.state.retries == 1


def test_stale_timer_is_ignored(menu_call: Call) -> None:
    before = menu_call.state
    out = menu_call.send(TimerFired(INPUT))
    assert actions(out) == []
    assert traces(out)[0].detail == {"event": "TimerFired", "timer": "input", "why": "not running"}
    assert menu_call.state == before


def test_english_call_uses_english_prompts_and_grammar() -> None:
    call = Call(flows_from(MENU), "menu", language="en")
    assert actions(call.last) == [
        c.PlayPrompt(PlaybackId("pb-1"), c.TtsPrompt("Choose.", "en")),
        c.StartRecognition("en", ("account", "emergency order")),
    ]


def test_same_inputs_give_same_commands() -> None:
    runs = []
    for _ in range(2):
        call = Call(flows_from(MENU), "menu")
        call.send(DigitPressed("7"))
        call.send(SpeechRecognised("应急交易", 0.9))
        runs.append((call.state, call.all))
    assert runs[0] == runs[1]


ACCOUNT = """
flow: account
languages: [zh-CN]
start: get_account
defaults: {fallback: agent}
nodes:
  get_account:
    type: collect
    prompt: {zh-CN: 请输入账号。}
    var: account
    min_digits: 8
    max_digits: 12
    mask: partial
    next: get_pin
  get_pin:
    type: collect
    prompt: {zh-CN: 请输入密码。}
    var: pin
    min_digits: 6
    max_digits: 6
    mask: true
    pattern: "[0-9]{6}"
    retries: 1
    invalid_prompt: {zh-CN: 格式不对。}
    timeout_s: 8
    interdigit_timeout_s: 2
    next: verify
  verify:
    type: lookup
    provider: verify_account
    params: {account: "{account}", pin: "{pin}"}
    results: {ok: status, fail: get_pin, locked: agent}
    default: agent
  status:
    type: say
    prompt: {zh-CN: "{name}您好，账户{account:account}，等级{vip_tier}。{pin:account}"}
    next: agent
  agent:
    type: queue
    queue: account_services
    attributes: {note: "pin {pin}"}
"""


def _enter_digits(call: Call, digits: str) -> None:
    for digit in digits:
        call.send(DigitPressed(digit))


def test_collect_with_terminator_and_masking() -> None:
    call = Call(flows_from(ACCOUNT), "account")
    _enter_digits(call, "12345678#")
    assert call.state.node == "get_pin"
    assert call.state.variables["account"] == "12345678"
    assert call.state.shown("account") == "****5678"
    _enter_digits(call, "123456")
    lookups = [cmd for cmd in call.last if isinstance(cmd, c.Lookup)]
    assert lookups == [
        c.Lookup(RequestId("rq-3"), "verify_account", {"account": "12345678", "pin": "123456"},
                 frozenset({"account", "pin"}))
    ]  # fmt: skip
    assert "123456" not in repr(lookups[0])
    assert "12345678" not in repr(lookups[0])
    call.send(LookupResult(RequestId("rq-3"), "verify_account", "ok", {"name": "张伟"}))
    # the account by its last 4 digits only; a PIN stays hidden even in an account slot
    assert texts(call.last) == ["张伟您好，账户尾号五六七八，等级。****"]
    call.send(PromptFinished(call.state.playing[0]))
    enqueue = next(cmd for cmd in call.last if isinstance(cmd, c.Enqueue))
    assert enqueue.attributes["note"] == "pin ****"
    every_text = repr([t for t in traces(call.all)]) + repr(call.state.outcome)
    assert "123456" not in every_text.replace("12345678", "")
    assert "12345678" not in every_text


def test_masked_digits_are_traced_masked() -> None:
    call = Call(flows_from(ACCOUNT), "account")
    _enter_digits(call, "12345678#")
    out = call.send(DigitPressed("5"))
    assert [t.detail for t in traces(out) if t.kind == "input"] == [{"digit": "****"}]
    assert actions(out) == [c.StopPlayback(PlaybackId("pb-2")), c.StartTimer(INPUT, 2.0)]


def test_collect_interdigit_timeout_ends_input_and_validates() -> None:
    call = Call(flows_from(ACCOUNT), "account")
    _enter_digits(call, "1234")
    out = call.send(TimerFired(INPUT))
    assert texts(out) == ["请输入账号。"]  # too short: retry without an invalid prompt
    assert call.state.retries == 1
    assert call.state.digits == ""


def test_collect_invalid_twice_goes_to_fallback() -> None:
    call = Call(flows_from(ACCOUNT), "account")
    _enter_digits(call, "12345678#")
    _enter_digits(call, "12*#")
    assert texts(call.last) == ["格式不对。", "请输入密码。"]
    _enter_digits(call, "1#")
    assert call.state.node == "agent"


def test_lookup_timeout_counts_as_error_result() -> None:
    call = Call(flows_from(ACCOUNT), "account")
    _enter_digits(call, "12345678#123456")
    out = call.send(TimerFired(TimerName("lookup")))
    assert call.state.node == "agent"
    assert call.state.variables["last_result"] == "error"
    assert [t.detail for t in traces(out) if t.kind == "result"] == [
        {"provider": "verify_account", "result": "error", "fields": ""}
    ]


def test_lookup_result_for_another_request_is_ignored() -> None:
    call = Call(flows_from(ACCOUNT), "account")
    _enter_digits(call, "12345678#123456")
    before = call.state
    call.send(LookupResult(RequestId("rq-99"), "verify_account", "ok", {}))
    assert call.state == before


SMALL = """
flow: small
languages: [zh-CN, en]
start: hours
business_hours:
  - {days: [mon, tue, wed, thu, fri], open: "09:00", close: "17:00"}
  - {days: [fri], open: "21:00", close: "02:30"}
variables: {tries: "0"}
nodes:
  hours:
    type: branch
    cases:
      - when: {all: [{business_hours: true}, {market_open: true}]}
        next: count
      - when: {business_hours: true}
        next: closed_market
    otherwise: closed
  count: {type: set, vars: {note: "from {caller}"}, add: {tries: 2}, next: lang}
  lang: {type: language, language: en, next: vip_check}
  vip_check:
    type: branch
    cases:
      - when: {attribute: segment, in: [gold, platinum]}
        next: record
      - when: {var: tries, ge: 2}
        next: transfer
    otherwise: closed
  record:
    type: record
    prompt: {zh-CN: 请留言。, en: Leave a message.}
    purpose: complaint
    max_s: 60
    next: closed
  transfer: {type: transfer, target: "PJSIP/8001"}
  closed_market: {type: hangup, reason: market_closed}
  closed:
    type: hangup
    prompt: {zh-CN: 再见。, en: Goodbye.}
"""


@pytest.mark.parametrize(
    ("now", "node"),
    [
        (datetime(2026, 1, 5, 10, 0), "transfer"),  # Monday, day session
        (datetime(2026, 1, 5, 16, 0), "closed_market"),  # Monday, open hours, market closed
        (datetime(2026, 1, 10, 1, 0), "transfer"),  # Saturday 01:00: Friday's night window
        (datetime(2026, 1, 11, 10, 0), "closed"),  # Sunday
    ],
)
def test_branch_on_hours_and_market(now: datetime, node: str) -> None:
    call = Call(flows_from(SMALL), "small", now=now)
    assert call.state.path[-1] == node


def test_set_language_and_transfer() -> None:
    call = Call(flows_from(SMALL), "small")
    assert call.state.variables["tries"] == "2"
    assert call.state.variables["note"] == "from 13900000000"
    assert call.state.language == "en"
    assert actions(call.last) == [c.Transfer("PJSIP/8001")]
    assert call.state.outcome is not None
    assert call.state.outcome.as_dict()["outcome"] == "transferred"


def test_record_node_prompt_then_record_then_next() -> None:
    call = Call(flows_from(SMALL), "small", attributes={"segment": "gold"})
    assert texts(call.last) == ["Leave a message."]
    out = call.send(PromptFinished(call.state.playing[0]))
    assert actions(out) == [c.Record("rec-2", "complaint", 60.0, True)]
    out = call.send(DigitPressed("#"))
    assert actions(out) == [c.StopRecording("rec-2")]
    out = call.send(RecordingDone("rec-2", 12.5, "stopped"))
    assert call.state.variables["recording_duration_s"] == "12.5"
    assert texts(out) == ["Goodbye."]
    out = call.send(PromptFinished(call.state.playing[0]))
    assert actions(out) == [c.Hangup("normal")]


SAY = """
flow: say
languages: [zh-CN]
start: notice
nodes:
  notice: {type: say, prompt: {zh-CN: 风险提示。}, barge_in: true, next: plain}
  plain: {type: say, prompt: {zh-CN: {audio: zh/plain.wav}}, next: bye}
  bye: {type: hangup}
"""


def test_say_barge_in_and_audio_prompt() -> None:
    call = Call(flows_from(SAY), "say")
    out = call.send(DigitPressed("1"))
    assert actions(out) == [
        c.StopPlayback(PlaybackId("pb-1")),
        c.PlayPrompt(PlaybackId("pb-2"), c.AudioPrompt("zh/plain.wav", "zh-CN")),
    ]
    out = call.send(DigitPressed("1"))  # plain say: keys ignored
    assert actions(out) == []
    assert traces(out)[0].kind == "ignored"


def test_goto_across_flows_and_loop_limit() -> None:
    looping = """
    flow: looping
    languages: [zh-CN]
    start: a
    nodes:
      a: {type: goto, flow: other}
      bye: {type: hangup}
    """
    other = """
    flow: other
    languages: [zh-CN]
    start: b
    nodes:
      b: {type: set, add: {n: 1}, next: c}
      c: {type: goto, flow: looping, node: a}
    """
    flows = flows_from(looping, other, check=False)
    call = Call(flows, "looping")
    assert actions(call.last) == [c.Hangup("loop_limit")]
    assert call.state.outcome is not None
    assert call.state.outcome.as_dict()["reason"] == "loop_limit"
    assert call.state.auto_hops == MAX_HOPS + 1
    assert call.state.variables["n"] == "33"  # b entered at hops 2, 5, ..., 98


def test_every_step_writes_a_trace(menu_call: Call) -> None:
    for event in (PromptFinished(PlaybackId("pb-1")), DigitPressed("7"), TimerFired(INPUT)):
        assert traces(menu_call.send(event))


GOTO_T = """
flow: t
languages: [zh-CN]
start: pick
variables: {shared: from_t}
nodes:
  pick:
    type: menu
    prompt: {zh-CN: 请选择。}
    options:
      - {key: "1", next: to_u}
      - {key: "2", next: to_u_at_check}
    fallback: to_u
  to_u: {type: goto, flow: u}
  to_u_at_check: {type: goto, flow: u, node: check}
"""
GOTO_U = """
flow: u
languages: [zh-CN]
start: check
variables: {close_only: "true", shared: from_u}
nodes:
  check:
    type: branch
    cases:
      - when: {var: close_only, equals: "true"}
        next: refuse
    otherwise: accept
  refuse: {type: hangup, reason: close_only}
  accept: {type: hangup, reason: accepted}
"""


@pytest.mark.parametrize("key", ["1", "2"], ids=["flow start", "named node"])
def test_goto_into_another_flow_loads_its_variable_defaults(key: str) -> None:
    call = Call(flows_from(GOTO_T, GOTO_U), "t")
    assert "close_only" not in call.state.variables
    call.send(DigitPressed(key))
    assert call.state.outcome is not None
    assert call.state.outcome.as_dict() == {
        "outcome": "hangup", "reason": "close_only", "flow": "u", "node": "refuse"
    }  # fmt: skip
    assert call.state.variables["close_only"] == "true"
    assert call.state.variables["shared"] == "from_t"  # set before the goto: kept


def test_goto_keeps_a_value_the_call_already_set() -> None:
    setting = GOTO_T.replace("variables: {shared: from_t}", 'variables: {close_only: "false"}')
    call = Call(flows_from(setting, GOTO_U), "t")
    call.send(DigitPressed("1"))
    assert call.state.outcome is not None
    assert call.state.outcome.reason == "accepted"
    assert call.state.variables["shared"] == "from_u"


PRICE = """
flow: price
languages: [zh-CN]
start: get_price
defaults: {fallback: bye}
nodes:
  get_price:
    type: collect
    prompt: {zh-CN: 请输入价格。}
    var: price
    decimal_key: "*"
    max_digits: 8
    pattern: "[0-9]{1,6}(\\\\.[0-9]{1,2})?"
    invalid_prompt: {zh-CN: 价格不对。}
    next: readback
  readback: {type: say, prompt: {zh-CN: "价格{price:decimal}。"}, next: bye}
  bye: {type: hangup}
"""


def test_decimal_key_types_a_decimal_point() -> None:
    call = Call(flows_from(PRICE), "price")
    _enter_digits(call, "3580*5#")
    assert call.state.variables["price"] == "3580.5"
    assert texts(call.last) == ["价格三千五百八十点五。"]
    decisions = [t.detail for t in traces(call.last) if t.kind == "decision"]
    assert decisions[0] == {"next": "readback", "var": "price", "value": "3580.5"}


def test_a_second_decimal_point_makes_the_value_invalid() -> None:
    call = Call(flows_from(PRICE), "price")
    _enter_digits(call, "3*5*8#")
    assert call.state.node == "get_price"
    assert call.state.retries == 1
    assert "price" not in call.state.variables
    assert texts(call.last) == ["价格不对。", "请输入价格。"]
    _enter_digits(call, "75230#")
    assert call.state.variables["price"] == "75230"


def test_decimal_point_counts_toward_max_digits() -> None:
    call = Call(flows_from(PRICE), "price")
    _enter_digits(call, "12345*67")  # eight keys: max_digits ends the input
    assert call.state.variables["price"] == "12345.67"
