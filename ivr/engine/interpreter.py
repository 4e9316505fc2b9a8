"""The pure flow interpreter: events in, (new state, commands) out.

    state, commands = start(flows, "hotline", CallStarted(...))
    state, commands = step(flows, state, DigitPressed("1"))

Rules:
- No I/O, no clock, no randomness: the same flows, state and event give the same result.
- Every call of `start`/`step` emits at least one `WriteTrace`; inputs are traced masked.
- Events that do not fit the current node (old playback, cancelled timer, stray digit) are traced
  as `ignored` and change nothing else.
- Nodes that do not wait (goto, set, branch, language) chain within one step, at most
  `MAX_HOPS` in a row (`ivr.engine.transitions`: entering nodes, loop limit, flow variables).
- A finished call ignores every further event.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.engine import commands as c
from ivr.engine import model as m
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
    SpeechRecognised,
    TimerFired,
    UtteranceStarted,
)
from ivr.engine.input import (
    collect_digit,
    collect_timeout,
    is_replay,
    menu_digit,
    menu_no_input,
    menu_speech,
    replay,
)
from ivr.engine.run import INPUT_TIMER, LOOKUP_TIMER, Run
from ivr.engine.speakable import raw_text
from ivr.engine.state import CallState
from ivr.engine.transitions import decide, end_call, enqueue, go, local, start_recording

SPEECH_HOLD_S = 10.0  # the longest a started utterance holds a menu's no-input timer


def start(
    flows: m.FlowSet, flow_name: str, event: CallStarted, *, restart: bool = False
) -> tuple[CallState, list[c.Command]]:
    """Begin a call in `flow_name` (KeyError if no such flow) at its start node; `restart`:
    a call adopted after an app crash begins again at the flow's `recovery` node (else start)."""
    flow = flows.flows[flow_name]
    node = (flow.recovery or flow.start) if restart else flow.start
    run = Run(flows, _initial(flow, event))
    kind: c.TraceKind = "restart" if restart else "start"
    language = run.state.language
    run.trace(kind, caller=event.caller, dialed=event.dialed, language=language)
    go(run, (flow.name, node), leave=False)
    return run.state, run.commands


def rejoin(
    flows: m.FlowSet, flow_name: str, event: CallStarted, queue: str
) -> tuple[CallState, list[c.Command]] | None:
    """A call adopted after an app crash while it waited in `queue`: its state at the flow's
    queue node for that queue (queued again, `Enqueue` emitted); None if the flow has none."""
    flow = flows.flows[flow_name]
    node = next(
        (n for n in flow.nodes.values()
         if isinstance(n, m.QueueNode) and queue in (n.queue, n.overflow_queue)),
        None,
    )  # fmt: skip
    if node is None:
        return None
    run = Run(flows, replace(_initial(flow, event), node=node.id, path=(node.id,)))
    run.trace("rejoin", queue=queue)
    enqueue(run, node)
    return run.state, run.commands


def _initial(flow: m.Flow, event: CallStarted) -> CallState:
    language = event.language if event.language in flow.languages else flow.default_language
    builtins = {"caller": event.caller, "dialed": event.dialed, "language": language}
    supplied = {k: v for k, v in event.variables.items() if k in flow.variables}
    variables = {**flow.variables, **supplied, **builtins, "intent": "", "last_result": ""}
    return CallState(
        flow=flow.name,
        node=flow.start,
        language=language,
        caller=event.caller,
        dialed=event.dialed,
        started_at=event.now,
        attributes=dict(event.attributes),
        variables=variables,
    )


def step(flows: m.FlowSet, state: CallState, event: Event) -> tuple[CallState, list[c.Command]]:
    """Apply one event to a call's state."""
    run = Run(flows, state)
    if state.finished:
        run.trace("ignored", event=type(event).__name__, why="call finished")
        return state, run.commands
    dispatch(run, event)
    return run.state, run.commands


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
        case UtteranceStarted():
            speech_started(run, event)
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
            hold = SPEECH_HOLD_S if run.state.speaking else 0.0  # an utterance under way
            run.update(phase="input", speaking=False)
            run.start_timer(INPUT_TIMER, max(node.timeout_s, hold))
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
    if (
        isinstance(node, m.MenuNode | m.CollectNode)
        and run.state.phase in ("prompt", "input")
        and is_replay(run.flow.replay_key, node, digit)
    ):
        replay(run, node)
    elif isinstance(node, m.MenuNode) and run.state.phase in ("prompt", "input"):
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
    run.update(speaking=False)
    if isinstance(node, m.MenuNode) and run.state.phase in ("prompt", "input"):
        go_to(run, menu_speech(run, node, event.text, event.confidence, event.unsure))
    else:
        ignore(run, event, "no speech wanted")


def speech_started(run: Run, event: UtteranceStarted) -> None:
    """The caller began speaking while a menu waits: the no-input timer must not end the menu
    before the recogniser decides, so it restarts for at least `SPEECH_HOLD_S` (bounded: an
    utterance never decided ends as no input, as silence would)."""
    node, phase = run.node, run.state.phase
    if isinstance(node, m.MenuNode) and phase == "input" and INPUT_TIMER in run.state.timers:
        run.trace("input", event="speech_started")
        run.start_timer(INPUT_TIMER, max(node.timeout_s, SPEECH_HOLD_S))
    elif isinstance(node, m.MenuNode) and phase == "prompt":
        run.trace("input", event="speech_started")  # barge-in: the timer starts after the prompt
        run.update(speaking=True)
    else:
        ignore(run, event, "no menu waiting for input")


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
        run.set_var(f"{node.prefix}{key}", raw_text(value))
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
