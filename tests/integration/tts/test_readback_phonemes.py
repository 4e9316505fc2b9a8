"""Every shipped read-back prompt, rendered with the demo data, checked by ear: espeak-ng's
phonemes (the shipped Mandarin voice) of what the call plays equal the phonemes of what a
caller must hear, written in pinyin; no ASCII digit is left for the voice to guess."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from ivr.engine import iter_prompts
from ivr.engine.loader import load_flows
from ivr.engine.model import FlowSet, TtsContent
from ivr.engine.run import Run
from ivr.engine.simfake import FakeProviders
from ivr.engine.speakable import raw_text
from ivr.engine.state import CallState
from ivr.engine.templates import literal_text, render, slots_in
from ivr.engine.tradingcal import load_trading_calendar
from ivr.prompts.phonemes import phonemes
from ivr.providers.market import market_status

ROOT = Path(__file__).resolve().parents[3]
VOICE = "cmn-latn-pinyin"
HOLIDAY = datetime(2026, 10, 1, 10, 0)  # National Day: closed, next opening 10-08 09:00

# What the caller must hear in each typed slot (zh-CN), in pinyin with tone numbers.
HEARD: dict[tuple[str, str], dict[str, str]] = {
    ("emergency", "market_closed"): {
        "{next_open:datetime}": "shi2 yue4 ba1 ri4 shang4 wu3 jiu3 dian3"
    },
    ("emergency", "message_done"): {"{ticket_id:digits}": "T ling2 ling2 ling2 yao1"},
    ("emergency", "order_readback"): {
        "{order_month:month}": "er4 wu3 ling2 wu3",
        "{price:decimal}": "san1 qian1 wu3 bai3 ba1 shi2 dian3 wu3",
        "{lots:lots}": "liang3",
    },
    ("emergency", "order_registered"): {"{ticket_id:digits}": "T ling2 ling2 ling2 yao1"},
    ("emergency", "callback_booked"): {"{callback_id:digits}": "CB ling2 ling2 ling2 yao1"},
    ("hotline", "trades_readback"): {
        "{trade_count:lots}": "liang3",
        "{trades:trades}": (
            "mai3 ru4 kai1 cang1 luo2 wen2 gang1 er4 wu3 ling2 wu3 he2 yue1，san1 shou3，"
            "jia4 ge2 san1 qian1 wu3 bai3 ba1 shi2 yuan2；"
            "mai4 chu1 ping2 cang1 hu4 tong2 er4 wu3 ling2 san1 he2 yue1，yi1 shou3，"
            "jia4 ge2 qi1 wan4 wu3 qian1 er4 bai3 san1 shi2 yuan2"
        ),
    },
    ("hotline", "margin_readback"): {
        "{balance:money}": "yi1 bai3 er4 shi2 wu3 wan4",
        "{available:money}": "ba1 shi2 yi1 wan4",
        "{margin_used:money}": "si4 shi2 si4 wan4",
        "{margin_ratio:percent}": "bai3 fen1 zhi1 san1 shi2 wu3 dian3 er4",
    },
    ("hotline", "complaint_done"): {"{ticket_id:digits}": "T ling2 ling2 ling2 yao1"},
    ("hotline", "suggestion_done"): {"{ticket_id:digits}": "T ling2 ling2 ling2 yao1"},
    ("hotline", "callback_booked"): {"{callback_id:digits}": "CB ling2 ling2 ling2 yao1"},
    ("hotline", "message_done"): {"{ticket_id:digits}": "T ling2 ling2 ling2 yao1"},
}
ASCII_DIGIT = re.compile(r"[0-9]")


def demo_variables() -> dict[str, str]:
    """The demo data: the simulator's sample back office, the shipped calendar, an order."""
    fake = FakeProviders()
    data: dict[str, object] = {}
    for provider, params in (
        ("account_status", {"account": "12345678"}),
        ("trade_query", {"account": "12345678"}),
        ("create_ticket", {"kind": "complaint"}),
        ("request_callback", {"caller": "13912345678"}),
    ):
        data.update(fake.lookup(provider, params)[1])
    calendar = load_trading_calendar(ROOT / "config" / "trading_calendar.yaml")
    data["next_open"] = market_status(calendar, HOLIDAY).next_open
    order = {"product_zh": "螺纹钢", "order_month": "2505", "direction_zh": "买入",
             "offset_zh": "平仓", "price_zh": "限价", "price": "3580.5", "lots": "2"}  # fmt: skip
    return {**{name: raw_text(value) for name, value in data.items()}, **order}


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    return load_flows([ROOT / "flows"])


def read_backs(flows: FlowSet, language: str) -> dict[tuple[str, str], str]:
    """Every shipped prompt with a typed slot, in `language`."""
    found = {}
    for use in iter_prompts(flows):
        content = use.content
        if use.language != language or not isinstance(content, TtsContent):
            continue
        if any(slot.kind for slot in slots_in(content.text)):
            found[(use.flow, use.node)] = content.text
    return found


def played(flows: FlowSet, key: tuple[str, str], template: str, language: str) -> str:
    state = CallState(key[0], key[1], language, variables=demo_variables())
    return Run(flows, state).spoken(template, language)


def test_every_read_back_prompt_has_its_expected_hearing(flows: FlowSet) -> None:
    assert set(read_backs(flows, "zh-CN")) == set(HEARD)


@pytest.mark.parametrize("key", sorted(HEARD), ids="/".join)
def test_read_back_sounds_as_the_caller_must_hear_it(flows: FlowSet, key: tuple[str, str]) -> None:
    template = read_backs(flows, "zh-CN")[key]
    text = played(flows, key, template, "zh-CN")
    # no digit but the template's own (key presses such as 请按1)
    assert ASCII_DIGIT.findall(text) == ASCII_DIGIT.findall(literal_text(template))
    variables = demo_variables()
    heard = HEARD[key]
    expected = render(
        template, lambda name: variables[name], lambda name, kind: heard[f"{{{name}:{kind}}}"]
    )
    assert phonemes(text, VOICE) == phonemes(expected, VOICE)


def test_without_types_the_voice_reads_the_order_wrongly(flows: FlowSet) -> None:
    """The check has teeth: the untyped read-back (raw digits) does not sound right."""
    key = ("emergency", "order_readback")
    template = read_backs(flows, "zh-CN")[key]
    variables = demo_variables()
    untyped = render(template, lambda name: variables[name])
    assert "2505" in untyped
    heard = HEARD[key]
    expected = render(
        template, lambda name: variables[name], lambda name, kind: heard[f"{{{name}:{kind}}}"]
    )
    assert phonemes(untyped, VOICE) != phonemes(expected, VOICE)


def test_english_read_backs_leave_no_digit(flows: FlowSet) -> None:
    prompts = read_backs(flows, "en")
    assert set(prompts) == set(HEARD)
    english = {"product_en": "rebar", "direction_en": "buy", "offset_en": "close",
               "price_en": "limit price "}  # fmt: skip
    for key, template in prompts.items():
        state = CallState(key[0], key[1], "en", variables={**demo_variables(), **english})
        text = Run(flows, state).spoken(template, "en")
        assert ASCII_DIGIT.findall(text) == ASCII_DIGIT.findall(literal_text(template)), key
    order = read_backs(flows, "en")[("emergency", "order_readback")]
    state = CallState(
        "emergency", "order_readback", "en", variables={**demo_variables(), **english}
    )
    assert Run(flows, state).spoken(order, "en") == (
        "Please check your order: rebar two five zero five, buy, close, limit price three "
        "thousand five hundred eighty point five, lots: two."
    )


def test_no_shipped_mandarin_prompt_writes_a_number_in_digits(flows: FlowSet) -> None:
    """The voice reads 2505 as 两千五百零五 and 12386 as a quantity: numbers of two or more digits
    are written out in the prompt text (a single key, 请按1, reads as it should)."""
    written = [
        (use.flow, use.node, number)
        for use in iter_prompts(flows)
        if use.language == "zh-CN" and isinstance(use.content, TtsContent)
        for number in re.findall(r"[0-9]{2,}", literal_text(use.content.text))
    ]
    assert written == []
    assert phonemes("请输入2505", VOICE) != phonemes("请输入二五零五", VOICE)
