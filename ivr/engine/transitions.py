"""Entering nodes: what each node type does when a call arrives at it, and moving on.

Role: `go(run, target)` leaves the current node and enters `target`, chaining nodes that do
not wait for the caller (goto, set, branch, language) within one step; `ENTER` maps each node
type to its entry action (play a prompt, start a lookup, enqueue, record, end the call).
`ivr.engine.interpreter` drives these from events.

Rules: pure, like the interpreter. At most `MAX_HOPS` nodes that never wait for the caller
(those, and lookups) are entered in a row, across steps; beyond that the call ends safely
(outcome `error`, reason `loop_limit`). A goto into another flow loads that flow's
`variables:` defaults for the variables the call has not set yet.
"""

from __future__ import annotations

import re

from ivr.engine import commands as c
from ivr.engine import model as m
from ivr.engine.conditions import holds
from ivr.engine.events import RequestId
from ivr.engine.run import LOOKUP_TIMER, SPEECH_RATE, Run
from ivr.engine.state import Outcome

_WHOLE = re.compile(r"-?[0-9]{1,18}", re.ASCII)  # a counter `set.add` may count on

MAX_HOPS = 100  # nodes entered in a row without waiting for the caller (across steps)
NO_INPUT_TYPES = (
    m.GotoNode, m.SetNode, m.BranchNode, m.LanguageNode, m.LookupNode, m.ResultNode,
)  # fmt: skip
Target = tuple[str, str]  # (flow, node)


# ---- moving between nodes ------------------------------------------------------------------------


def go(run: Run, target: Target | None, *, leave: bool = True) -> None:
    """Leave the current node and enter `target`, chaining nodes that do not wait."""
    if leave:
        run.leave()
    while target is not None and not run.state.finished:
        target = enter(run, target)


def enter(run: Run, target: Target) -> Target | None:
    flow_name, node_id = target
    flow = run.flows.flows.get(flow_name)
    if flow is None or node_id not in flow.nodes:  # prevented by the validator
        run.trace("error", reason="unknown_target", target=f"{flow_name}.{node_id}")
        run.finish("error", hangup="flow_error", reason="unknown_target")
        return None
    node = flow.nodes[node_id]
    hops = run.state.auto_hops + 1 if isinstance(node, NO_INPUT_TYPES) else 0
    run.update(flow=flow_name, node=node_id, phase="idle", retries=0, digits="", auto_hops=hops)
    if hops > MAX_HOPS:
        run.trace("error", reason="loop_limit", hops=str(MAX_HOPS))
        run.finish("error", hangup="loop_limit", reason="loop_limit")
        return None
    run.enter_path(node_id)
    run.trace("enter", type=m.node_type(node))
    return ENTER[type(node)](run, node)


def local(run: Run, node_id: str) -> Target:
    return (run.state.flow, node_id)


def decide(run: Run, node_id: str, **why: str) -> Target:
    run.trace("decision", next=node_id, **why)
    return local(run, node_id)


# ---- entering nodes ---------------------------------------------------------------------------


def enter_say(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.SayNode)
    run.play(node.prompt)
    return None


def enter_menu(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.MenuNode)
    run.play(node.prompt)
    grammar = tuple(p for o in node.options for p in o.phrases.get(run.state.language, ()))
    if node.speech and grammar:
        run.start_recognition(grammar)
    return None


def enter_collect(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.CollectNode)
    run.play(node.prompt)
    return None


def enter_branch(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.BranchNode)
    for index, case in enumerate(node.cases, 1):
        if holds(case.when, run.state, run.flow, run.flows):
            return decide(run, case.next, case=str(index))
    return decide(run, node.otherwise, case="otherwise")


def enter_lookup(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.LookupNode)
    request = RequestId(run.next_id("rq"))
    params: dict[str, str] = {}
    secret: set[str] = set()
    for name, template in node.params.items():
        params[name], mask = run.clear(template)
        if mask:
            secret.add(name)
    shown = {name: run.shown(template) for name, template in node.params.items()}
    run.trace("lookup", provider=node.provider, request_id=request, **shown)
    run.emit(c.Lookup(request, node.provider, params, frozenset(secret)))
    run.start_timer(LOOKUP_TIMER, node.timeout_s)
    run.update(phase="lookup", request_id=request)
    return None


def enter_queue(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.QueueNode)
    if node.prompt is not None:
        run.play(node.prompt)
    else:
        enqueue(run, node)
    return None


def enter_record(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.RecordNode)
    if node.prompt is not None:
        run.play(node.prompt)
    else:
        start_recording(run, node)
    return None


def enter_goto(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.GotoNode)
    flow_name = node.flow or run.state.flow
    flow = run.flows.flows.get(flow_name)
    node_id = node.node or (flow.start if flow is not None else "")
    run.trace("decision", next=node_id, flow=flow_name)
    if flow is not None and flow_name != run.state.flow:
        load_flow_variables(run, flow)
    return (flow_name, node_id)


def load_flow_variables(run: Run, flow: m.Flow) -> None:
    """Entering another flow: its `variables:` defaults, for the variables not set yet."""
    missing = {k: v for k, v in flow.variables.items() if k not in run.state.variables}
    if missing:
        run.update(variables={**run.state.variables, **missing})


def enter_set(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.SetNode)
    for name, template in node.vars.items():
        value, mask = run.clear(template)
        run.set_var(name, value, mask)
    for name, amount in node.add.items():
        current = run.state.variables.get(name, "")
        base = int(current) if _WHOLE.fullmatch(current) else 0  # "²", "--5": not numbers
        run.set_var(name, str(base + amount), run.state.masked.get(name))
    return decide(run, node.next)


def enter_result(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.ResultNode)
    run.trace("result", result=node.result)
    run.emit(c.ReportResult(node.result))
    return decide(run, node.next)


def enter_language(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.LanguageNode)
    run.update(language=node.language)
    run.set_var("language", node.language)
    return decide(run, node.next, language=node.language)


def enter_ending(run: Run, node: m.Node) -> Target | None:
    assert isinstance(node, m.HangupNode | m.TransferNode)
    if node.prompt is not None:
        run.play(node.prompt)
        run.update(phase="ending")
    else:
        end_call(run, node)
    return None


ENTER = {
    m.SayNode: enter_say,
    m.MenuNode: enter_menu,
    m.CollectNode: enter_collect,
    m.BranchNode: enter_branch,
    m.LookupNode: enter_lookup,
    m.QueueNode: enter_queue,
    m.RecordNode: enter_record,
    m.GotoNode: enter_goto,
    m.SetNode: enter_set,
    m.LanguageNode: enter_language,
    m.TransferNode: enter_ending,
    m.HangupNode: enter_ending,
    m.ResultNode: enter_result,
}


def end_call(run: Run, node: m.HangupNode | m.TransferNode) -> None:
    if isinstance(node, m.TransferNode):
        run.leave()
        run.emit(c.Transfer(node.target))
        run.finish("transferred", target=node.target)
    else:
        run.finish("hangup", hangup=node.reason, reason=node.reason)


def enqueue(run: Run, node: m.QueueNode) -> None:
    state = run.state
    attributes = {
        "caller": state.caller,
        "language": state.language,
        "ivr_path": ">".join(state.path),
        "intent": state.variables.get("intent", ""),
    }
    for name, key in (("account_masked", "account"), ("vip_tier", "vip_tier")):
        if state.variables.get(name):
            attributes[key] = state.shown(name)
    if state.variables.get(SPEECH_RATE) == "slow":  # the queue's words too; the agent sees it
        attributes["speech_rate"] = "slow"
    attributes.update({k: run.shown(v) for k, v in node.attributes.items()})
    command = c.Enqueue(
        queue=node.queue,
        skills=dict(node.skills),
        priority=node.priority,
        max_wait_s=node.max_wait_s,
        overflow_queue=node.overflow_queue,
        overflow_after_s=node.overflow_after_s,
        offer_callback=node.offer_callback,
        attributes=attributes,
    )
    run.trace("enqueue", queue=node.queue, priority=node.priority)
    run.emit(command)
    skills = dict(node.skills)
    outcome = Outcome(
        "queued", state.flow, state.node, queue=node.queue, priority=node.priority, skills=skills
    )
    run.update(phase="queued", queue=node.queue, outcome=outcome)


def start_recording(run: Run, node: m.RecordNode) -> None:
    name = run.next_id("rec")
    run.trace("record", name=name, purpose=node.purpose)
    run.emit(c.Record(name, node.purpose, node.max_s, node.beep))
    run.update(phase="record", recording=name)
