"""What callers of the shipped hotline and emergency line hear and where they end up.

Outcomes through `ivr flows simulate --json` (what an admin runs) where the simulator can script
the call; the screen pop (Enqueue attributes), lookups and recordings through the same simulator
loop with injected provider answers (`tests.unit.flows.harness`).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ivr.cli import main
from ivr.engine import commands as c
from ivr.engine.model import FlowSet
from tests.unit.flows.harness import (
    MARKET_CLOSED,
    MONDAY_6PM,
    ROOT,
    VIP_CALLER,
    Call,
    enqueued,
    load_shipped,
    lookups,
    run,
    visited,
)

LOGIN = "12345678#,123456"
AT_CAPTURE = LOGIN + ",queue:timeout"
EMERGENCY_DESK = {
    "outcome": "queued",
    "queue": "trading_desk",
    "priority": "emergency",
    "skills": {"emergency_order": 3},
    "flow": "emergency",
    "node": "desk",
}


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    return load_shipped()


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the CLI's defaults: flows/, config/queues.yaml


def simulate_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["flows", "simulate", *args, "--json"]) == 0
    body: dict[str, object] = json.loads(capsys.readouterr().out)
    return body


def outcome_of(body: dict[str, object]) -> dict[str, object]:
    keys = ("outcome", "queue", "priority", "skills", "reason", "flow", "node")
    return {k: body[k] for k in keys if k in body}


# ---- validation and numbers -------------------------------------------------------------------


@pytest.mark.usefixtures("in_repo")
def test_shipped_flows_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "validate"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: ")
    assert "consult, emergency, hotline" in out
    assert err == ""


def test_dialed_numbers_pick_the_flows(flows: FlowSet) -> None:
    assert flows.flow_for_number("95555") == "hotline"
    assert flows.flow_for_number("4008208888") == "hotline"
    assert flows.flow_for_number("95556") == "emergency"


# ---- emergency entries (simulate --json) ------------------------------------------------------


@pytest.mark.usefixtures("in_repo")
@pytest.mark.parametrize(
    "args",
    [
        ("hotline", "--inputs", "1,9," + LOGIN),
        ("hotline", "--inputs", "1,say:紧急下单," + LOGIN),
        ("hotline", "--inputs", "1,say:交易软件登不上," + LOGIN),
        ("hotline", "--inputs", "1,say:应急交易," + LOGIN),
        ("hotline", "--inputs", "2,say:emergency order," + LOGIN),
        ("hotline", "--inputs", "1,2,9," + LOGIN),
        ("emergency", "--dialed", "95556", "--inputs", "1," + LOGIN),
    ],
    ids=[
        "key 9",
        "紧急下单",
        "交易软件登不上",
        "应急交易",
        "english speech",
        "trading menu 9",
        "95556",
    ],
)
def test_emergency_entries_queue_at_the_desk_with_emergency_priority(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    body = simulate_json(capsys, *args)
    assert outcome_of(body) == EMERGENCY_DESK
    path = body["path"]
    assert isinstance(path, list)
    assert path[-8:] == [
        "recorded_notice", "no_resubmit_warning", "market_check", "get_account", "get_pin",
        "verify", "verified", "desk",
    ]  # fmt: skip


@pytest.mark.usefixtures("in_repo")
def test_emergency_line_warns_and_records_before_verification(
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = simulate_json(capsys, "emergency", "--dialed", "95556", "--inputs", "1," + LOGIN)
    prompts = body["prompts"]
    assert isinstance(prompts, list)
    assert prompts[0] == "紧急交易专线。For English, press 2."  # two seconds, Mandarin by default
    assert prompts[1:4] == [
        "您已进入紧急交易专线。为保障您的权益，本通话全程录音。",
        "重要提示：交易系统异常期间，您已提交的委托可能仍在处理中，请勿重复下单，以免重复成交。",
        "请输入您的资金账号，以井号键结束。",
    ]


def test_emergency_desk_screen_pop_is_verified_and_masked(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,9," + LOGIN))
    attributes = dict(enqueued(result).attributes)
    assert attributes["account"] == "****5678"
    assert attributes["reason"] == "emergency_order"
    assert attributes["verified"] == "yes"
    assert attributes["intent"] == "emergency_order"
    assert "123456" not in repr(result.trace) + repr(attributes) + repr(result.prompts)


# ---- lock-out, fallbacks, VIP, English --------------------------------------------------------


def test_three_wrong_pins_lock_self_service_and_route_with_the_reason(flows: FlowSet) -> None:
    pins = ("111111", "222222", "333333")
    inputs = ",".join(f"12345678#,{pin}" for pin in pins)
    result = run(flows, Call("emergency", inputs))
    assert result.outcome.as_dict() == {
        "outcome": "queued",
        "queue": "trading_desk",
        "priority": "emergency",
        "skills": {"emergency_order": 3},
        "flow": "emergency",
        "node": "unverified_desk",
    }
    attributes = dict(enqueued(result).attributes)
    assert (attributes["reason"], attributes["verified"]) == ("pin_locked", "no")
    providers = [lookup.provider for lookup in lookups(result)]
    assert providers.count("verify_account") == 3
    assert "验证失败次数过多，自助服务已暂停。" in result.prompts[-2]
    assert not {("emergency", "order_intro"), ("emergency", "desk")} & visited(result)
    shown = repr(result.trace) + repr(attributes)
    assert not any(pin in shown for pin in pins)


@pytest.mark.usefixtures("in_repo")
def test_no_input_three_times_in_the_main_menu_goes_to_an_agent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = simulate_json(capsys, "hotline", "--inputs", "1,wait,wait,wait")
    assert outcome_of(body) == {
        "outcome": "queued",
        "queue": "general",
        "priority": "normal",
        "skills": {},
        "flow": "hotline",
        "node": "general_queue",
    }
    prompts = body["prompts"]
    assert isinstance(prompts, list)
    assert prompts.count("抱歉，没有听到您的选择。") == 2


def test_main_menu_fallback_tells_the_agent_why(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,wait,wait,wait"))
    assert enqueued(result).attributes["reason"] == "menu_no_selection"


@pytest.mark.usefixtures("in_repo")
def test_vip_caller_reaches_the_vip_queue(capsys: pytest.CaptureFixture[str]) -> None:
    body = simulate_json(capsys, "hotline", "--caller", VIP_CALLER, "--inputs", "1,0")
    assert outcome_of(body) == {
        "outcome": "queued",
        "queue": "vip",
        "priority": "vip",
        "skills": {},
        "flow": "hotline",
        "node": "vip_queue",
    }


def test_vip_screen_pop_shows_tier_and_masked_account(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,0", caller=VIP_CALLER))
    attributes = dict(enqueued(result).attributes)
    assert (attributes["vip_tier"], attributes["account"]) == ("gold", "****5678")
    assert "尊敬的贵宾客户，您好。您的来电将由贵宾服务专席优先接听。" in result.prompts


@pytest.mark.usefixtures("in_repo")
def test_english_caller_hears_english_and_reaches_the_english_queue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = simulate_json(capsys, "hotline", "--inputs", "2,0")
    assert outcome_of(body) == {
        "outcome": "queued",
        "queue": "english",
        "priority": "normal",
        "skills": {},
        "flow": "hotline",
        "node": "english_queue",
    }
    prompts = body["prompts"]
    assert isinstance(prompts, list)
    assert prompts[-1] == "Connecting you to an English-speaking agent, please hold."
    assert prompts[3].startswith("If you cannot log in to your trading software")


# ---- self-service read-backs ------------------------------------------------------------------


def test_margin_read_back_warns_a_high_risk_account(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,2,4,87654321#,654321"))
    assert result.prompts[-3:-1] == [
        "您的客户权益为二十万元，可用资金一万五千元，占用保证金十八万五千元，风险度为百分之九十二点五。",
        "提示：您的账户风险度较高。如保证金不足，请在约定时间前追加保证金或自行减仓，"
        "否则可能按合同约定被强行平仓。",
    ]


def test_trades_read_back_in_english(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "2,2,3," + LOGIN))
    assert result.prompts[-2].startswith(
        "Trades: two. buy to open three lots of rebar two five zero five at three thousand five "
        "hundred eighty; sell to close one lot of copper two five zero three at seventy-five "
        "thousand two hundred thirty. These are today's trades"
    )


def test_complaint_is_recorded_and_ticketed(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,4,1"))
    records = [cmd for cmd in result.commands if isinstance(cmd, c.Record)]
    assert [(r.purpose, r.max_s) for r in records] == [("complaint", 180.0)]
    ticket = lookups(result)[-1]
    assert (ticket.provider, ticket.params["kind"]) == ("create_ticket", "complaint")
    assert "您的投诉已受理，受理编号为T零零零幺。我们将在五个工作日内与您联系。" in result.prompts


def test_after_hours_agent_request_offers_a_callback(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,0,1", now=MONDAY_6PM))
    assert result.prompts[3].startswith("现在是非人工服务时间，人工服务时间为交易日")
    callback = lookups(result)[-1]
    assert callback.provider == "request_callback"
    assert dict(callback.params) == {
        "caller": "13900000000",
        "queue": "general",
        "reason": "caller_request",
    }
    assert not any(isinstance(cmd, c.Enqueue) for cmd in result.commands)


# ---- emergency order capture ------------------------------------------------------------------


def test_market_closed_takes_no_order_and_offers_a_callback(flows: FlowSet) -> None:
    result = run(flows, Call("emergency", "1", answers={"market_status": MARKET_CLOSED}))
    assert result.prompts[2].startswith(
        "当前不在交易时段，本专线现在不受理任何委托，本次来电不会产生委托。"
    )
    assert ("emergency", "get_account") not in visited(result)
    callback = lookups(result)[-1]
    assert (callback.provider, callback.params["reason"]) == ("request_callback", "market_closed")


def test_order_capture_reads_back_every_field_before_confirming(flows: FlowSet) -> None:
    result = run(flows, Call("emergency", AT_CAPTURE + ",1,2505,1,2,1,3580*5#,2#,1"))
    readback = "请核对您的委托：螺纹钢二五零五合约，买入，平仓，限价三千五百八十点五，两手。"
    assert result.prompts.index(readback) + 1 == result.prompts.index(
        "确认无误请按1，重新输入请按2。"
    )
    records = [cmd.purpose for cmd in result.commands if isinstance(cmd, c.Record)]
    assert records == ["voice_order"]
    ticket, callback = lookups(result)[-2:]
    assert ticket.provider == "create_ticket"
    assert ticket.params["kind"] == "emergency_order"
    assert ticket.params["note"].startswith("rb2505 buy close limit 3580.5 x2;")
    assert dict(callback.params) == {
        "caller": "13900000000",
        "queue": "trading_desk",
        "reason": "emergency_order",
    }
    assert result.prompts[-1].startswith("为保障账户安全，交易系统恢复后请尽快登录并修改交易密码。")


def test_price_with_two_decimal_points_is_asked_again(flows: FlowSet) -> None:
    result = run(flows, Call("emergency", AT_CAPTURE + ",1,2505,1,2,1,35*8*5#,3580*5#,2#"))
    assert result.prompts[-3:] == [
        "请输入委托手数，输入完毕请按井号键。",
        "请核对您的委托：螺纹钢二五零五合约，买入，平仓，限价三千五百八十点五，两手。",
        "确认无误请按1，重新输入请按2。",
    ]
    assert "价格格式不正确。" in result.prompts


def test_order_capture_in_english_reads_back_open_close(flows: FlowSet) -> None:
    inputs = "2,9," + AT_CAPTURE + ",say:copper,2503,say:sell,say:close,say:limit,75230#,1#,1"
    result = run(flows, Call("hotline", inputs))
    assert (
        "Please check your order: copper two five zero three, sell, close, limit price "
        "seventy-five thousand two hundred thirty, lots: one." in result.prompts
    )


def test_close_only_policy_refuses_an_opening_order(flows: FlowSet) -> None:
    assert flows.flows["emergency"].variables["close_only"] == "true"
    result = run(flows, Call("emergency", AT_CAPTURE + ",1,2505,1,1,2"))
    assert result.prompts[-3].startswith(
        "根据公司当前的应急交易安排，电话紧急委托只受理平仓委托，不受理开仓委托。"
    )
    assert result.prompts[-2] == "本次委托登记已取消，没有任何委托被提交。"
    assert "create_ticket" not in [lookup.provider for lookup in lookups(result)]
    assert ("emergency", "order_readback") not in visited(result)


def test_close_only_policy_holds_when_arriving_from_the_hotline(flows: FlowSet) -> None:
    result = run(flows, Call("hotline", "1,9," + AT_CAPTURE + ",1,2505,1,1"))
    assert result.state.variables["close_only"] == "true"  # loaded by the goto into emergency
    assert ("emergency", "open_refused") in visited(result)


def test_close_only_switched_off_applies_to_hotline_callers_too(flows: FlowSet) -> None:
    emergency = flows.flows["emergency"]
    allowing = replace(emergency, variables={**emergency.variables, "close_only": "false"})
    opened = FlowSet({**flows.flows, "emergency": allowing})
    result = run(opened, Call("hotline", "1,9," + AT_CAPTURE + ",1,2505,1,1,2,3#,1"))
    assert ("emergency", "open_refused") not in visited(result)
    assert "请核对您的委托：螺纹钢二五零五合约，买入，开仓，市价，三手。" in result.prompts


def test_order_without_open_close_is_not_registered(flows: FlowSet) -> None:
    result = run(flows, Call("emergency", AT_CAPTURE + ",1,2505,1,wait,wait,wait"))
    assert "委托要素不完整，本次委托未登记，也不会被提交。交易台人员将尽快回电。" in result.prompts
    assert [lookup.provider for lookup in lookups(result)][-1] == "request_callback"
    assert lookups(result)[-1].params["reason"] == "emergency_order_incomplete"
