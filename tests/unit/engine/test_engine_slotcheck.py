"""The validator's slot checks: a prompt never hands the voice an untyped number."""

# ruff: noqa: E501  (exact error texts are long lines on purpose)

from __future__ import annotations

from tests.unit.engine.helpers_engine import errors_of

HEAD = """\
flow: t
languages: [zh-CN, en]
start: main
defaults: {fallback: bye}
nodes:
  bye: {type: hangup}
"""
TYPES = "digits, decimal, money, pnl, percent, lots, month, contract, date, time, datetime, phone, account, trades"


def errs(body: str) -> list[str]:
    unused = "flows/t.yaml:6:3: node 'bye' is unreachable from start node 'main'"
    return [e for e in errors_of(HEAD + body) if e != unused]


STATUS = """\
  main:
    type: lookup
    provider: account_status
    params: {account: "12345678"}
    results: {ok: say}
    default: bye
  say:
    type: say
    prompt: {zh-CN: "权益{balance}元", en: "Equity {balance:money} yuan"}
    next: bye
"""


def test_untyped_lookup_number_in_a_prompt_is_refused_with_the_type_to_write() -> None:
    assert errs(STATUS) == [
        "flows/t.yaml:15:21: node 'say': prompt (zh-CN): slot '{balance}' carries a number "
        "(field 'balance' of provider 'account_status'); write it typed: {balance:money} "
        f"(slot types: {TYPES})"
    ]


def test_typed_slots_pass_and_untyped_numbers_in_params_are_fine() -> None:
    assert errs(STATUS.replace('"权益{balance}元"', '"权益{balance:money}元"')) == []


def test_collected_digits_and_the_caller_number_need_a_type() -> None:
    body = """\
  main:
    type: collect
    prompt: {zh-CN: 请输入, en: Enter}
    var: month
    next: say
  say:
    type: say
    prompt: {zh-CN: "月份{month}", en: "Calling from {caller}"}
    next: bye
"""
    assert errs(body) == [
        "flows/t.yaml:14:21: node 'say': prompt (zh-CN): slot '{month}' carries a number "
        f"(digits collected at node 'main'); write it typed: {{month:digits}} (slot types: {TYPES})",
        "flows/t.yaml:14:38: node 'say': prompt (en): slot '{caller}' carries a number "
        f"(the caller's number); write it typed: {{caller:phone}} (slot types: {TYPES})",
    ]


def test_a_set_value_copying_a_number_carries_it() -> None:
    body = """\
  main:
    type: collect
    prompt: {zh-CN: 请输入, en: Enter}
    var: price
    decimal_key: "*"
    next: label
  label: {type: set, vars: {price_text: "限价{price}", name: 沪深300}, next: say}
  say:
    type: say
    prompt: {zh-CN: "{price_text}", en: "{name}"}
    next: bye
"""
    assert errs(body) == [
        "flows/t.yaml:16:21: node 'say': prompt (zh-CN): slot '{price_text}' carries a number "
        f"(value set at node 'label'); write it typed: {{price_text:decimal}} (slot types: {TYPES})",
        "flows/t.yaml:16:41: node 'say': prompt (en): slot '{name}' carries a number "
        f"(value set at node 'label'); write it typed: {{name:decimal}} (slot types: {TYPES})",
    ]


def test_a_fully_masked_input_is_not_a_number() -> None:
    body = """\
  main:
    type: collect
    prompt: {zh-CN: 请输入, en: Enter}
    var: pin
    mask: true
    next: say
  say: {type: say, prompt: {zh-CN: "{pin}", en: "{pin}"}, next: bye}
"""
    assert errs(body) == []


def test_unknown_slot_type_is_named_with_a_suggestion() -> None:
    body = (
        '  main: {type: say, prompt: {zh-CN: "{caller:phon}", en: "{caller:phone}"}, next: bye}\n'
    )
    assert errs(body) == [
        "flows/t.yaml:7:37: node 'main': prompt: unknown slot type 'phon' in '{caller:phon}' "
        f"(did you mean 'phone'?) (types: {TYPES})"
    ]
