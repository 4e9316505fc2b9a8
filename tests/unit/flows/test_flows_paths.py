"""Scripted paths through the shipped flows: every node is reached, every path ends as expected.

`PATHS` is the catalogue of caller journeys (simulator input tokens, see docs/flows.md "CLI").
`test_every_node_is_reached` fails when a node is added without a path that reaches it: add one
here (and its expected outcome) with the node.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr.engine.model import FlowSet
from tests.unit.flows.harness import (
    ERROR,
    GOLD,
    MARKET_CLOSED,
    MONDAY_6PM,
    PLAIN,
    SHIPPED,
    VIP_CALLER,
    Call,
    load_shipped,
    run,
    visited,
)

LOGIN_GOLD = GOLD[0] + "#," + GOLD[1]  # "12345678#,123456"
LOGIN_PLAIN = PLAIN[0] + "#," + PLAIN[1]
AT_CAPTURE = LOGIN_GOLD + ",queue:timeout"  # verified, desk gave up -> order capture
CLOSED = {"market_status": MARKET_CLOSED}
DESK = {"emergency_order": 3}


def queued(flow: str, node: str, queue: str, priority: str = "normal") -> dict[str, object]:
    skills = DESK if queue == "trading_desk" else {}
    return {
        "outcome": "queued",
        "queue": queue,
        "priority": priority,
        "skills": skills,
        "flow": flow,
        "node": node,
    }


def hangup(flow: str, node: str = "goodbye") -> dict[str, object]:
    return {"outcome": "hangup", "reason": "normal", "flow": flow, "node": node}


def waiting(flow: str, node: str) -> dict[str, object]:
    return {"outcome": "waiting", "flow": flow, "node": node}


H, E = "hotline", "emergency"
EMERGENCY_DESK = queued(E, "desk", "trading_desk", "emergency")

PATHS: dict[str, tuple[Call, dict[str, object]]] = {
    # ---- hotline: entry, language, main menu --------------------------------------------------
    "emergency by key": (Call(H, "1,9," + LOGIN_GOLD), EMERGENCY_DESK),
    "emergency by speech": (Call(H, "1,say:紧急下单," + LOGIN_GOLD), EMERGENCY_DESK),
    "emergency by dialed number": (Call(E, "1," + LOGIN_GOLD, dialed="95556"), EMERGENCY_DESK),
    "emergency in English on 95556": (Call(E, "2," + LOGIN_GOLD, dialed="95556"), EMERGENCY_DESK),
    "emergency on 95556, no language chosen": (
        Call(E, "wait," + LOGIN_GOLD, dialed="95556"),
        EMERGENCY_DESK,
    ),
    "no input everywhere": (Call(H, "wait,wait,wait,wait"), queued(H, "general_queue", "general")),
    "vip caller asks for an agent": (
        Call(H, "1,0", caller=VIP_CALLER),
        queued(H, "vip_queue", "vip", "vip"),
    ),
    "english caller asks for an agent": (Call(H, "2,0"), queued(H, "english_queue", "english")),
    "a person at once (0 in the first menu)": (Call(H, "0"), queued(H, "general_queue", "general")),
    "slower Mandarin, then an agent": (Call(H, "3,0"), queued(H, "general_queue", "general")),
    "english vip caller asks for an agent": (
        Call(H, "2,0", caller=VIP_CALLER),
        queued(H, "english_vip_queue", "english", "vip"),
    ),
    # ---- hotline: 1 account services --------------------------------------------------------
    "account answers then agent": (
        Call(H, "1,1,1,1,2,1,4,1,5,0"),
        queued(H, "account_queue", "account_services"),
    ),
    "account back to main menu": (
        Call(H, "1,1,1,*,1,*,wait,wait,wait"),
        queued(H, "general_queue", "general"),
    ),
    "account silence after answer": (Call(H, "1,1,1,wait,wait,wait"), hangup(H)),
    "password reset verified": (
        Call(H, "1,1,3," + LOGIN_PLAIN),
        queued(H, "account_queue", "account_services"),
    ),
    "password reset locked": (
        Call(H, "1,1,3,87654321#,000000,87654321#,000000,87654321#,000000"),
        queued(H, "account_queue", "account_services"),
    ),
    "password reset no input": (
        Call(H, "1,1,3,wait,wait,wait"),
        queued(H, "account_queue", "account_services"),
    ),
    "password reset verification down": (
        Call(H, "1,1,3," + LOGIN_PLAIN, answers={"verify_account": ERROR}),
        queued(H, "account_queue", "account_services"),
    ),
    # ---- hotline: 2 trading support -----------------------------------------------------------
    "trades and margin read back": (
        Call(H, f"1,2,3,{LOGIN_GOLD},1,3,{LOGIN_PLAIN},1,4,{LOGIN_GOLD},1,4,{LOGIN_PLAIN},0"),
        queued(H, "trading_queue", "trading_support"),
    ),
    "trading tips then emergency": (
        Call(H, "1,2,1,1,2,*,2,*,2,9"),
        waiting(E, "get_account"),
    ),
    "trading silence after tips": (Call(H, "1,2,1,wait,wait,wait"), hangup(H)),
    "trading tips then emergency key": (Call(H, "1,2,1,9"), waiting(E, "get_account")),
    "trading agent": (Call(H, "1,2,0"), queued(H, "trading_queue", "trading_support")),
    "trade query down": (
        Call(H, "1,2,3," + LOGIN_GOLD, answers={"trade_query": ERROR}),
        waiting(H, "trading_more"),
    ),
    # ---- hotline: 3 consultations (consult.yaml) ----------------------------------------------
    "consult answers then agent": (
        Call(H, "1,3,1,1,2,1,3,1,4,0"),
        queued(H, "general_queue", "general"),
    ),
    "consult back and silence": (
        Call(H, "1,3,*,3,1,*,3,1,wait,wait,wait,wait,wait,wait"),
        queued(H, "general_queue", "general"),
    ),
    # ---- hotline: 4 complaints ----------------------------------------------------------------
    "complaint recorded": (Call(H, "1,4,1"), hangup(H)),
    "suggestion recorded": (Call(H, "1,4,2"), hangup(H)),
    "complaints agent": (Call(H, "1,4,*,4,0"), queued(H, "complaints_queue", "complaints")),
    "complaint ticket down": (
        Call(H, "1,4,1", answers={"create_ticket": ERROR}),
        queued(H, "complaints_queue", "complaints"),
    ),
    # ---- hotline: no agent now ------------------------------------------------------------------
    "after hours callback": (Call(H, "1,0,1", now=MONDAY_6PM), hangup(H)),
    "after hours message": (Call(H, "1,0,2", now=MONDAY_6PM), hangup(H)),
    "after hours emergency (market closed at 18:00)": (
        Call(H, "1,0,9", now=MONDAY_6PM),
        waiting(E, "market_closed"),
    ),
    "after hours callback, hidden number": (
        Call(H, "1,0,1", caller="anonymous", now=MONDAY_6PM),
        hangup(H),
    ),
    "after hours back and silence": (Call(H, "1,0,*,0,wait,wait,wait", now=MONDAY_6PM), hangup(H)),
    "after hours back office down": (
        Call(
            H, "1,0,1", now=MONDAY_6PM, answers={"request_callback": ERROR, "create_ticket": ERROR}
        ),
        hangup(H),
    ),
    "queue timeout callback": (Call(H, "1,0,queue:timeout,1"), hangup(H)),
    "queue overflow message": (Call(H, "1,0,queue:overflow,2"), hangup(H)),
    "queue timeout back and silence": (
        Call(H, "1,0,queue:timeout,*,wait,wait,wait,queue:timeout,wait,wait,wait"),
        hangup(H),
    ),
    # ---- emergency: market closed, verification -------------------------------------------------
    "market closed callback": (Call(E, "1", answers=CLOSED), hangup(E)),
    "market closed message": (Call(E, "2", answers=CLOSED), hangup(E)),
    "market closed callback, hidden number": (
        Call(E, "1", caller="anonymous", answers=CLOSED),
        hangup(E),
    ),
    "market closed message ticket down": (
        Call(E, "2", answers={**CLOSED, "create_ticket": ERROR}),
        hangup(E),
    ),
    "market closed silence": (Call(E, "wait,wait,wait", answers=CLOSED), hangup(E)),
    "market status down": (Call(E, LOGIN_GOLD, answers={"market_status": ERROR}), EMERGENCY_DESK),
    "three wrong pins": (
        Call(E, "12345678#,111111,12345678#,222222,12345678#,333333"),
        queued(E, "unverified_desk", "trading_desk", "emergency"),
    ),
    "three wrong pins then desk timeout": (
        Call(E, "12345678#,111111,12345678#,222222,12345678#,333333,queue:timeout"),
        hangup(E),
    ),
    "no account entered, callback down": (
        Call(E, "wait,wait,wait,queue:overflow", answers={"request_callback": ERROR}),
        hangup(E),
    ),
    "verification down": (
        Call(E, LOGIN_GOLD, answers={"verify_account": ERROR}),
        queued(E, "unverified_desk", "trading_desk", "emergency"),
    ),
    # ---- emergency: order capture ---------------------------------------------------------------
    "closing limit order": (
        Call(E, AT_CAPTURE + ",1,2505,1,2,1,3580*5#,2#,1"),
        hangup(E, "goodbye_change_pin"),
    ),
    "every product, re-entered": (
        Call(
            E,
            AT_CAPTURE + ",2,2509,2,2,2,1#,2,3,2507,1,2,2,1#,2,4,2512,1,2,2,1#,2,5,2511,1,2,2,1#"
            ",2,6,2509,1,2,2,1#,2,7,2503,1,2,2,1#,2,8,2509,1,2,2,1#,2,0,2505,1,2,2,10#,1",
        ),
        hangup(E, "goodbye_change_pin"),
    ),
    "opening order refused, then cancelled": (
        Call(E, AT_CAPTURE + ",1,2505,1,1,1,1,2"),
        hangup(E, "goodbye_change_pin"),
    ),
    "opening order refused, silence": (
        Call(E, AT_CAPTURE + ",1,2505,1,1,wait,wait,wait"),
        hangup(E, "goodbye_change_pin"),
    ),
    "order without open/close": (Call(E, AT_CAPTURE + ",1,2505,1,wait,wait,wait"), hangup(E)),
    "order ticket down": (
        Call(E, AT_CAPTURE + ",1,2505,1,2,2,1#,1", answers={"create_ticket": ERROR}),
        queued(E, "last_resort_desk", "trading_desk", "emergency"),
    ),
    "order callback down": (
        Call(E, AT_CAPTURE + ",1,2505,1,2,2,1#,1", answers={"request_callback": ERROR}),
        hangup(E, "goodbye_change_pin"),
    ),
}


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    return load_shipped()


@pytest.mark.parametrize("name", list(PATHS))
def test_path_ends_as_expected(flows: FlowSet, name: str) -> None:
    call, expected = PATHS[name]
    assert run(flows, call).outcome.as_dict() == expected


def test_every_node_is_reached(flows: FlowSet) -> None:
    reached: set[tuple[str, str]] = set()
    for call, _ in PATHS.values():
        reached |= visited(run(flows, call))
    every = {(name, node) for name in SHIPPED for node in flows.flows[name].nodes}
    assert sorted(every - reached) == []


def test_opening_orders_path_when_policy_allows(flows: FlowSet) -> None:
    emergency = flows.flows[E]
    allowing = replace(emergency, variables={**emergency.variables, "close_only": "false"})
    opened = FlowSet({**flows.flows, E: allowing})
    call = Call(E, AT_CAPTURE + ",say:螺纹钢,2505,say:买入,say:开仓,say:市价,3#,1")
    result = run(opened, call)
    assert result.outcome.as_dict() == hangup(E, "goodbye_change_pin")
    assert "请核对您的委托：螺纹钢二五零五合约，买入，开仓，市价，三手。" in result.prompts
