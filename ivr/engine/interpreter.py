"""The pure flow interpreter: events in, (new state, commands) out.

    state, commands = start(flows, "hotline", CallStarted(...))
    state, commands = step(flows, state, DigitPressed("1"))

Rules:
- No I/O, no clock, no randomness: the same flows, state and event give the same result.
- Every call of `start`/`step` emits at least one `WriteTrace`; inputs are traced masked.
- Events that do not fit the current node (old playback, cancelled timer, stray digit) are traced
  as `ignored` and change nothing else.
- Nodes that do not wait (goto, set, branch, language) chain within one step. At most `MAX_HOPS`
  nodes that never wait for the caller (those, and lookups) are entered in a row, across steps;
  beyond that the call ends safely (outcome `error`, reason `loop_limit`).
- A finished call ignores every further event.
- A goto into another flow loads that flow's `variables:` defaults for the variables the call has
  not set yet (set ones, e.g. `close_only` of the flow it came from, keep their value).
"""

from __future__ import annotations

from ivr.engine import commands as c
from ivr.engine import model as m
from ivr.engine.conditions import holds
from ivr.engine.events import (
    CallerHungUp,
    CallStarted,
    DigitPressed,
    Event,
    LookupResult,
    NoInput,
    PromptFinished,
    QueueOutcome,
    RecordingDone,
    RequestId,
    SpeechRecognised,
    TimerFired,
)
from ivr.engine.input import collect_digit, collect_timeout, menu_digit, menu_no_input, menu_speech
from ivr.engine.run import INPUT_TIMER, LOOKUP_TIMER, Run
from ivr.engine.state import CallState, Outcome

MAX_HOPS = 100  # nodes entered in a row without waiting for the caller (across steps)
NO_INPUT_TYPES = (m.GotoNode, m.SetNode, m.BranchNode, m.LanguageNode, m.LookupNode)
Target = tuple[str, str]  # (flow, node)


def start(
    flows: m.FlowSet, flow_name: str, event: CallStarted
) -> tuple[CallState, list[c.Command]]:
    """Begin a call in `flow_name` (KeyError if no such flow) at its start node."""
    flow = flows.flows[flow_name]
    language = event.language if event.language in flow.languages else flow.default_language
    builtins = {"caller": event.caller, "dialed": event.dialed, "language": language}
    variables = {**flow.variables, **builtins, "intent": "", "last_result": ""}
    state = CallState(
        flow=flow.name,
        node=flow.start,
        language=language,
        caller=event.caller,
        dialed=event.dialed,
        started_at=event.now,
        attributes=dict(event.attributes),
        variables=variables,
    )
    run = Run(flows, state)
    run.trace("start", caller=event.caller, dialed=event.dialed, language=language)
    go(run, (flow.name, flow.start), leave=False)
    return run.state, run.commands


def step(flows: m.FlowSet, state: CallState, event: Event) -> tuple[CallState, list[c.Command]]:
    """Apply one event to a call's state."""
    run = Run(flows, state)
    if state.finished:
        run.trace("ignored", event=type(event).__name__, why="call finished")
        return state, run.commands
    dispatch(run, event)
    return run.state, run.commands


# ---- transitions ------------------------------------------------------------------------------


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
        base = int(current) if current.lstrip("-").isdigit() else 0
        run.set_var(name, str(base + amount), run.state.masked.get(name))
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


# ---- events -----------------------------------------------------------------------------------


def dispatch(run: Run, event: Event) -> None:
    match event:
        case CallerHungUp(cause):
            caller_hung_up(run, cause)
        case PromptFinished(playback_id):
            prompt_finished(run, playback_id)
        case TimerFired(name):
            timer_fired(run, name)
        case DigitPressed(digit):
            digit_pressed(run, digit)
        case SpeechRecognised():
            speech(run, event)
        case NoInput():
            no_input(run)
        case LookupResult():
            lookup_result(run, event)
        case QueueOutcome():
            queue_outcome(run, event)
        case RecordingDone():
            recording_done(run, event)
        case _:
            ignore(run, event, "not expected now")


def ignore(run: Run, event: Event, why: str) -> None:
    run.trace("ignored", event=type(event).__name__, why=why)


def caller_hung_up(run: Run, cause: str) -> None:
    state = run.state
    run.trace("input", event="hangup", cause=cause)
    if state.recording is not None and state.phase == "record":
        run.emit(c.StopRecording(state.recording))
    if state.phase == "queued" and state.queue is not None:
        run.emit(c.Dequeue(state.queue, "caller_hangup"))
        run.finish("abandoned", queue=state.queue)
    else:
        run.finish("caller_hangup", reason=cause)


def prompt_finished(run: Run, playback_id: str) -> None:
    if playback_id not in run.state.playing:
        ignore(run, PromptFinished(playback_id), "not playing")  # type: ignore[arg-type]
        return
    run.update(playing=tuple(p for p in run.state.playing if p != playback_id))
    run.trace("input", event="prompt_finished", playback_id=playback_id)
    if not run.state.playing:
        prompts_done(run, run.node)


def prompts_done(run: Run, node: m.Node) -> None:
    match node:
        case m.SayNode():
            go(run, decide(run, node.next))
        case m.MenuNode() | m.CollectNode():
            run.update(phase="input")
            run.start_timer(INPUT_TIMER, node.timeout_s)
        case m.QueueNode():
            enqueue(run, node)
        case m.RecordNode():
            start_recording(run, node)
        case m.HangupNode() | m.TransferNode():
            end_call(run, node)
        case _:
            pass


def timer_fired(run: Run, name: str) -> None:
    if name not in run.state.timers:
        run.trace("ignored", event="TimerFired", timer=name, why="not running")
        return
    run.update(timers=run.state.timers - {name})
    run.trace("input", event="timer", timer=name)
    node = run.node
    if name == LOOKUP_TIMER and isinstance(node, m.LookupNode):
        resolve_lookup(run, node, "error", {})
    elif name == INPUT_TIMER and isinstance(node, m.MenuNode):
        go_to(run, menu_no_input(run, node))
    elif name == INPUT_TIMER and isinstance(node, m.CollectNode):
        go_to(run, collect_timeout(run, node))


def go_to(run: Run, node_id: str | None) -> None:
    if node_id is not None:
        go(run, local(run, node_id))


def digit_pressed(run: Run, digit: str) -> None:
    node = run.node
    if isinstance(node, m.MenuNode) and run.state.phase in ("prompt", "input"):
        go_to(run, menu_digit(run, node, digit))
    elif isinstance(node, m.CollectNode) and run.state.phase in ("prompt", "input"):
        go_to(run, collect_digit(run, node, digit))
    elif isinstance(node, m.SayNode) and node.barge_in and run.state.playing:
        run.trace("input", digit=digit, barge_in="true")
        go(run, decide(run, node.next))
    elif isinstance(node, m.RecordNode) and run.state.phase == "record" and digit == "#":
        run.trace("input", digit=digit)
        run.emit(c.StopRecording(run.state.recording or ""))
    else:
        run.trace(
            "ignored", event="DigitPressed", digit=digit_shown(run, digit), why="no input wanted"
        )


def digit_shown(run: Run, digit: str) -> str:
    node = run.node
    return "****" if isinstance(node, m.CollectNode) and node.mask else digit


def speech(run: Run, event: SpeechRecognised) -> None:
    node = run.node
    if isinstance(node, m.MenuNode) and run.state.phase in ("prompt", "input"):
        go_to(run, menu_speech(run, node, event.text, event.confidence))
    else:
        ignore(run, event, "no speech wanted")


def no_input(run: Run) -> None:
    node = run.node
    if isinstance(node, m.MenuNode) and run.state.phase == "input":
        run.cancel_timer(INPUT_TIMER)
        run.trace("input", event="no_input")
        go_to(run, menu_no_input(run, node))
    elif isinstance(node, m.CollectNode) and run.state.phase == "input":
        run.cancel_timer(INPUT_TIMER)
        run.trace("input", event="no_input")
        go_to(run, collect_timeout(run, node))
    else:
        ignore(run, NoInput(), "no input wanted")


def lookup_result(run: Run, event: LookupResult) -> None:
    node = run.node
    if not isinstance(node, m.LookupNode) or event.request_id != run.state.request_id:
        ignore(run, event, "no such lookup pending")
        return
    run.cancel_timer(LOOKUP_TIMER)
    resolve_lookup(run, node, event.result, event.data)


def resolve_lookup(run: Run, node: m.LookupNode, result: str, data: object) -> None:
    fields = data if isinstance(data, dict) else {}
    for key, value in sorted(fields.items()):
        run.set_var(f"{node.prefix}{key}", "" if value is None else str(value))
    run.set_var("last_result", result)
    run.update(request_id=None)
    run.trace("result", provider=node.provider, result=result, fields=",".join(sorted(fields)))
    target = node.results.get(result, node.default)
    if target is None:
        run.trace("error", reason="unhandled_result", result=result)
        run.finish("error", hangup="flow_error", reason="unhandled_result")
        return
    go(run, decide(run, target, result=result))


def queue_outcome(run: Run, event: QueueOutcome) -> None:
    node = run.node
    if not isinstance(node, m.QueueNode) or run.state.phase != "queued":
        ignore(run, event, "not queued")
        return
    run.trace("queue", outcome=event.outcome, queue=event.queue, agent_id=event.agent_id or "")
    run.update(queue=None)
    if event.outcome == "answered":
        run.finish("answered", queue=event.queue, agent_id=event.agent_id)
    elif event.outcome == "abandoned":
        run.finish("abandoned", queue=event.queue)
    else:
        target = node.on_timeout if event.outcome == "timeout" else node.on_overflow
        if target is None:
            reason = f"queue_{event.outcome}"
            run.finish("hangup", hangup=reason, reason=reason)
        else:
            run.update(outcome=None)
            go(run, decide(run, target, queue=event.outcome))


def recording_done(run: Run, event: RecordingDone) -> None:
    node = run.node
    if not isinstance(node, m.RecordNode) or event.name != run.state.recording:
        ignore(run, event, "no such recording")
        return
    run.set_var("recording_name", event.name)
    run.set_var("recording_duration_s", f"{event.duration_s:g}")
    run.update(recording=None)
    run.trace("input", event="recording_done", name=event.name, duration_s=f"{event.duration_s:g}")
    go(run, decide(run, node.next))
