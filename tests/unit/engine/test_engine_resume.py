"""Calls adopted after an app crash: the flow starts again (at its `recovery` node if it names
one), or a waiting caller is put back at the flow's queue node for its queue."""

from __future__ import annotations

from datetime import datetime

from ivr.engine import commands as c
from ivr.engine.events import CallStarted, QueueOutcome
from ivr.engine.interpreter import rejoin, start, step
from tests.unit.engine.helpers_engine import actions, errors_of, flows_from, texts, traces
from tests.unit.engine.test_engine_validate import HEAD

FLOW = """
flow: menu
languages: [zh-CN, en]
start: main
recovery: again
nodes:
  main: {type: say, prompt: {zh-CN: 欢迎。, en: Welcome.}, next: desk}
  again: {type: say, prompt: {zh-CN: 请重新选择。, en: Choose again.}, next: desk}
  desk:
    type: queue
    queue: general
    max_wait_s: 120
    on_timeout: bye
  bye: {type: hangup, reason: done}
"""
STARTED = CallStarted("13900000000", "95555", "zh-CN", datetime(2026, 1, 5, 10, 0))


def test_restart_begins_at_the_recovery_node() -> None:
    flows = flows_from(FLOW)
    _state, commands = start(flows, "menu", STARTED, restart=True)
    assert texts(commands) == ["请重新选择。"]
    assert traces(commands)[0].kind == "restart"
    _state, commands = start(flows, "menu", STARTED)
    assert texts(commands) == ["欢迎。"]


def test_restart_without_a_recovery_node_begins_at_start() -> None:
    flows = flows_from(FLOW.replace("recovery: again\n", "").replace("again: {", "#"))
    _state, commands = start(flows, "menu", STARTED, restart=True)
    assert texts(commands) == ["欢迎。"]


def test_rejoin_puts_a_waiting_caller_back_at_its_queue_node() -> None:
    flows = flows_from(FLOW)
    rejoined = rejoin(flows, "menu", STARTED, "general")
    assert rejoined is not None
    state, commands = rejoined
    assert (state.node, state.phase, state.queue) == ("desk", "queued", "general")
    assert texts(commands) == []  # no prompt again: the caller is on hold
    assert [type(a) for a in actions(commands)] == [c.Enqueue]
    assert [t.kind for t in traces(commands)] == ["rejoin", "enqueue"]
    state, commands = step(flows, state, QueueOutcome("timeout", "general"))
    assert actions(commands) == [c.Hangup("done")]  # the node's own paths, as before
    assert rejoin(flows, "menu", STARTED, "vip") is None  # no queue node for it


def test_an_unknown_recovery_node_is_an_error() -> None:
    head = HEAD.replace("start: main\n", "start: main\nrecovery: mian\n")
    assert errors_of(head + "  main: {type: goto, node: bye}\n") == [
        "flows/t.yaml:4:11: 'recovery' points to unknown node 'mian' (did you mean 'main'?)"
    ]
    head = HEAD.replace("start: main\n", "start: main\nrecovery: bye\n")
    assert errors_of(head + "  main: {type: hangup}\n") == []  # reachable from recovery
