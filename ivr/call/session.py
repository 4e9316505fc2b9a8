"""One call: the I/O shell around the pure flow engine.

A `CallSession` owns one caller channel. ARI events of the call (already ordered by its lane
in `ivr.call.router`) are translated into engine events and put in the call's mailbox; timers,
lookups (`ivr.call.timers`) and queue outcomes land in the same mailbox, so the engine sees one
ordered stream. The session task takes one event at a time, calls `engine.step`, and executes
the commands. Its recordings are `ivr.call.recording.CallRecordings`; what every call shares,
including the call policy of the settings (default flow, recorded flows), is `SessionDeps`.

Rules:
- The engine decides, the session only executes. No menu logic here.
- Every wait has a limit: timers are clock sleeps, lookups `timeout_s`, the clean-up bounded.
- Hang-up at any moment: timers cancelled, lookups cancelled, playbacks stopped, the queue entry
  removed, the call row closed with its cause. `ChannelGone` (404) means the caller left.
- ARI failing (5xx or timeout after the client's retries): the caller hears the fallback prompt
  and the call ends cleanly; never a call stuck in silence.
- The queue store down at `Enqueue` (`StoreUnavailable`): the queue node takes the flow's own
  fallback (`on_overflow`, else `on_timeout`); a node without either ends with the fallback prompt.
- No PIN or account digits in logs: the engine masks trace entries, lookup params' repr too.
- A new call is answered once admitted (`ivr.call.admission`); one whose caller hung up while
  it rang is never answered (row `caller_hangup`). Commands after a key or speech go first.
- A call adopted after an app crash (`resume`, `ivr.call.resumed`) keeps its row and trace;
  after a lost events websocket, prompts that finished meanwhile are finished (`resynced`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Coroutine
from contextlib import nullcontext
from typing import Any

from ivr import ari
from ivr.ari import AriError, AriUnavailable, ChannelGone, ChannelId
from ivr.call.deps import SessionDeps
from ivr.call.recording import CallRecordings
from ivr.call.resumed import APOLOGY, Resumed
from ivr.call.session_inputs import SessionInputs
from ivr.call.session_parts import (
    CLEANUP_TIMEOUT_S,
    FALLBACK_TEXT,
    FALLBACK_WAIT_S,
    SEAL_TIMEOUT_S,
    Pending,
    Started,
    needs_channel,
    outcome_name,
    said_prompt,
)
from ivr.call.speech import CallSpeech
from ivr.call.survey import CallSurvey, start_survey, surveyed
from ivr.call.timers import CallTimers, lookup_result
from ivr.engine import commands as cmd
from ivr.engine import events as ev
from ivr.engine.interpreter import rejoin, start, step
from ivr.engine.model import FlowSet
from ivr.engine.state import CallState
from ivr.log import call_key as call_key_var
from ivr.outbound.dialer import OutboundStart
from ivr.queue.handoff import QueuedCall, store_down_outcome, unverified_emergency
from queueing.errors import StoreUnavailable

log = logging.getLogger(__name__)

CALLER_INPUT = (ev.DigitPressed, ev.SpeechRecognised)  # its ARI requests go first (`ari.urgent`)


class CallSession(SessionInputs):
    """One caller channel in the app. `deliver()` ARI events; `run()` is the call's task."""

    def __init__(
        self,
        deps: SessionDeps,
        channel: ari.Channel,
        outbound: OutboundStart | None = None,
        resume: Resumed | None = None,
    ) -> None:
        self.deps = deps
        self.outbound = outbound  # an automated outbound call: the dialer's flow and facts
        self.result: str | None = None  # the last `result` node's outcome (outbound calls)
        self._last_digit = ""
        self.key = channel.id
        self.resume = resume  # adopted after an app crash (`ivr.call.resumed`)
        self.call_id = resume.call_id if resume else uuid.uuid4().hex  # the row's (recordings')
        self.channel_id: ChannelId = channel.id
        self.caller = channel.caller.number
        self.dialed = resume.dialed if resume else getattr(channel.dialplan, "exten", "")
        self.language = "zh-CN"
        self.state: CallState | None = None
        self.outcome = "unknown"
        self.hangup_cause: str | None = None
        self._mailbox: asyncio.Queue[Pending] = asyncio.Queue()
        self._timers = CallTimers(deps.clock, self._post, self.key)
        self._work: set[asyncio.Task[None]] = set()
        self._playbacks: dict[str, ev.PlaybackId] = {}  # ARI playback id -> engine id
        self._queued: str | None = None
        self._rejoin = resume is not None and resume.mode == "queued"
        self._gone = False
        self._rang_out = False  # the caller hung up before the call was answered
        self._hung_up_sent = False
        self._arrived: float | None = None
        self._provider = deps.providers.for_call(self.call_id, self.caller)  # PIN failures count
        self.events_handled = 0  # engine steps taken (tests wait on it)
        self.recordings = CallRecordings(
            deps.keeper, deps.rest, deps.bind, key=self.key, call_id=self.call_id,
            channel_id=self.channel_id, app_name=deps.app_name, now=deps.clock.now_s,
            alert=deps.alert, incident=deps.metrics.recording_incident,
        )  # fmt: skip
        self.speech: CallSpeech | None = None  # the speech runner, once a menu listened
        self.survey: CallSurvey | None = None  # the survey this call runs (docs/surveys.md)

    # ------------------------------------------------------------------ the call

    async def run(self) -> None:
        call_key_var.set(self.key)
        self.deps.metrics.active_calls.inc()
        try:
            await self._drive()
        except ChannelGone:
            log.info("caller gone")
        except Exception as exc:
            if isinstance(exc, AriUnavailable):
                log.error("ARI unavailable, failing the call safely: %s", exc)
            else:
                log.exception("call failed")
            self.outcome = "error"
            await self._fail_safe()
        finally:
            await self._cleanup()
            self.deps.metrics.active_calls.dec()
            self.deps.metrics.calls_total.labels(self.outcome).inc()

    async def _drive(self) -> None:
        flows = self.deps.flows()
        if self.resume is not None:
            adopted = await self._adopted(flows, self.resume)
            if adopted is None:
                return
            state, commands = adopted
        else:  # set up once admitted (`ivr.call.admission`): answer, the first commands
            async with self.deps.admission.admitted(first=self._admitted_first(flows)):
                state, commands = await self._begin(flows)
                if self._rang_out:  # hung up while it rang: never answered, no prompt
                    self.outcome = "caller_hangup"
                    return
                await self._apply(state, commands)
            commands = []
        await self._steps(flows, state, commands)
        if self.outcome == "answered":
            await self._connected()

    async def _steps(self, flows: FlowSet, state: CallState, commands: list[cmd.Command]) -> None:
        """Run the flow from `state` until it finishes."""
        await self._apply(state, commands)
        while not state.finished:
            pending = await self._mailbox.get()
            self._arrived = pending.arrived
            state, commands = step(flows, state, pending.event)
            self.events_handled += 1
            with ari.urgent() if isinstance(pending.event, CALLER_INPUT) else nullcontext():
                await self._apply(state, commands)  # answering the caller goes first

    def _admitted_first(self, flows: FlowSet) -> bool:
        """An outbound leg (already answered) or a call to a recorded line (the emergency
        hotline) is set up before the other new calls."""
        flow = flows.flow_for_number(self.dialed) or self.deps.default_flow
        return self.outbound is not None or flow in self.deps.recorded_flows

    async def _begin(self, flows: FlowSet) -> Started:
        flow_name = flows.flow_for_number(self.dialed) or self.deps.default_flow
        facts: dict[str, str] = {}
        if self.outbound is not None:  # our leg, already Up: caller = our ID, dialed = client
            flow_name, facts = self.outbound.flow, dict(self.outbound.variables)
            self.caller, self.dialed = self.outbound.caller_id, self.outbound.number
        self.language = flows.flows[flow_name].default_language
        self.deps.records.call_started(
            self.key, call_id=self.call_id, channel_id=self.channel_id, caller=self.caller,
            dialed=self.dialed, language=self.language, flow=flow_name,
        )  # fmt: skip
        log.info("call started flow=%s dialed=%s", flow_name, self.dialed)
        self._rang_out = self.outbound is None and self._gone  # decided once, before answering
        if self.outbound is None and not self._rang_out:
            await self.deps.rest.answer(self.channel_id)
        if not self._rang_out:
            self.deps.records.answered(self.key)
        if self.outbound is not None and flow_name == self.deps.survey_flow:
            subject = surveyed(facts, self.call_id)  # an outbound survey: about the call it names
            self.survey = await start_survey(self.deps.surveys, self.deps.clock.now, *subject)
        now = self.deps.clock.now()
        started = ev.CallStarted(self.caller, self.dialed, None, now, variables=facts)
        return start(flows, flow_name, started)

    async def _adopted(self, flows: FlowSet, r: Resumed) -> Started | None:
        """An adopted call (`ivr.call.resumed`): what to go on with; None: bridged, ended."""
        self.language = r.language
        log.warning("call adopted after an app restart: %s", r.mode)
        self.deps.records.trace(self.key, [cmd.TraceEntry(r.flow, "", "adopted", {"mode": r.mode})])
        started = ev.CallStarted(self.caller, self.dialed, r.language, self.deps.clock.now())
        if r.mode == "bridged":
            self.outcome, self._queued = "answered", r.queue
            if (purpose := self.deps.recorded_flows.get(r.flow)) is not None:
                await self.recordings.record_call(purpose)  # goes on with the next part
            await self._connected()
            return None
        if r.mode == "queued" and r.queue is not None:
            rejoined = rejoin(flows, r.flow, started, r.queue)
            if rejoined is not None:
                return rejoined
        await self._say(APOLOGY, "apology")  # the caller of a lost menu is told first
        return start(flows, r.flow, started, restart=True)

    async def _connected(self) -> None:
        """Caller and agent are bridged: the flow is done; wait for either side to hang up.
        An agent hanging up first on a survey queue (`agent_left`) leaves the caller the
        survey flow; the call stays `answered`."""
        log.info("connected to an agent")
        while True:
            event = (await self._mailbox.get()).event
            if isinstance(event, ev.CallerHungUp):
                return
            if isinstance(event, ev.QueueOutcome) and event.outcome == "agent_left":
                flows = self.deps.flows()
                if self.deps.surveys is None or self.deps.survey_flow not in flows.flows:
                    return  # no survey here: the clean-up hangs up
                subject = ("inbound", self.call_id, event.agent_id, event.queue)
                self.survey = await start_survey(self.deps.surveys, self.deps.clock.now, *subject)
                now = self.deps.clock.now()
                started = ev.CallStarted(self.caller, self.dialed, self.language, now)
                await self._steps(flows, *start(flows, self.deps.survey_flow, started))
                self.outcome = "answered"
                return

    async def _apply(self, state: CallState, commands: list[cmd.Command]) -> None:
        self.state = state
        self.language = state.language or self.language
        purpose = self.deps.recorded_flows.get(state.flow)
        if purpose is not None and not self.recordings.recording_call and not self._gone:
            await self.recordings.record_call(purpose)
        traces = [c.entry for c in commands if isinstance(c, cmd.WriteTrace)]
        if traces:
            self.deps.records.trace(self.key, traces)
        for command in commands:
            if not isinstance(command, cmd.WriteTrace):
                await self._execute(command)
        if state.finished:
            self.outcome = outcome_name(state)

    # ------------------------------------------------------------------ commands

    async def _execute(self, command: cmd.Command) -> None:
        if self._gone and needs_channel(command):
            return
        try:
            await self._dispatch(command)
        except ChannelGone:  # 404: the caller left and we missed (or have not yet seen) it
            self.hangup_cause = self.hangup_cause or "gone"
            self._post(ev.CallerHungUp(self.hangup_cause))

    async def _dispatch(self, command: cmd.Command) -> None:
        match command:
            case cmd.PlayPrompt(playback_id=pid, prompt=prompt):
                await self._play(pid, prompt)
            case cmd.StopPlayback(playback_id=pid):
                await self._stop_playback(pid)
            case cmd.StartTimer(name=name, duration_s=seconds):
                self._timers.start(name, seconds)
            case cmd.CancelTimer(name=name):
                self._timers.cancel(name)
            case cmd.StartRecognition(language=language, grammar=grammar):
                self._start_recognition(language, grammar)
            case cmd.StopRecognition():
                if self.speech is not None:
                    self.speech.stop()
            case cmd.Lookup():
                self._spawn(self._lookup(command), f"lookup-{command.request_id}")
            case cmd.Enqueue():
                await self._enqueue(command)
            case cmd.Dequeue(reason=reason):
                await self._dequeue(reason)
            case cmd.Record(name=name, purpose=purpose, max_s=max_s, beep=beep):
                await self._record(name, purpose, max_s, beep)
            case cmd.StopRecording(name=name):
                await self.recordings.stop(name)
            case cmd.Transfer(target=target):
                ctx, to_dialplan = self.deps.transfer_context, self.deps.rest.continue_in_dialplan
                await self._ari(
                    to_dialplan(self.channel_id, context=ctx, extension=target, priority=1)
                )
            case cmd.ReportResult(result=result):
                self.result = result
                if self.survey is not None and self.state is not None:
                    await self.survey.answers(self.state.variables)
                if self.deps.outbound is not None and self.outbound is not None:
                    await self.deps.outbound.report(self.key, result, self._last_digit)
            case cmd.Hangup(reason=reason):
                self.recordings.caller_gone()  # a part ending from now on is the call's end
                await self._ari(self.deps.rest.hangup(self.channel_id, reason="normal"))
                self.hangup_cause = self.hangup_cause or f"ivr:{reason}"
                self._gone = True

    async def _ari(self, request: Awaitable[object]) -> object:
        """Await one ARI request; the first one after an event records event->action latency."""
        arrived, self._arrived = self._arrived, None
        result = await request
        if arrived is not None:
            self.deps.metrics.event_latency.observe(time.perf_counter() - arrived)
        return result

    async def _play(self, pid: ev.PlaybackId, prompt: cmd.Prompt) -> None:
        media = await self.deps.prompts.media_uri(prompt, self.key)
        ari_id = f"{self.key}-{pid}"
        self._playbacks[ari_id] = pid
        try:
            await self._ari(self.deps.rest.play(self.channel_id, media, playback_id=ari_id))
        except BaseException:
            self._playbacks.pop(ari_id, None)
            raise

    async def _stop_playback(self, pid: ev.PlaybackId) -> None:
        ari_id = f"{self.key}-{pid}"
        if ari_id in self._playbacks:
            with contextlib.suppress(ari.AriNotFound):  # already finished: nothing to stop
                await self._ari(self.deps.rest.stop_playback(ari_id))

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _lookup(self, command: cmd.Lookup) -> None:
        self._post(await lookup_result(self._provider, command))

    async def _enqueue(self, command: cmd.Enqueue) -> None:
        command = unverified_emergency(command, self.deps.unverified)
        self._queued = command.queue
        self.deps.records.queued(self.key, command.queue, command.priority)
        log.info("queued queue=%s priority=%s", command.queue, command.priority)
        call = QueuedCall(self.key, self.channel_id, command, self._post)
        if self._rejoin:  # adopted while waiting: the store entry kept its place
            self._rejoin = False
            await self.deps.handoff.rejoin(call)
            return
        try:
            await self._ari(self.deps.handoff.enqueue(call))
        except StoreUnavailable:
            self._queued = None
            outcome = store_down_outcome(self.deps.flows(), self.state)
            if outcome is None:
                raise  # the node has no fallback path: the caller hears the fallback prompt
            log.warning("queue store down: queue=%s takes its %s path", command.queue, outcome)
            self._post(ev.QueueOutcome(outcome, command.queue))

    async def _dequeue(self, reason: str) -> None:
        if self._queued is not None:
            self._queued = None
            await self.deps.handoff.cancel(self.key, reason)

    async def _record(self, name: str, purpose: str, max_s: float, beep: bool) -> None:
        ari_name = await self.recordings.open(name, purpose)
        await self._ari(
            self.deps.rest.record(
                self.channel_id, ari_name, format="wav", max_duration_s=max(1, round(max_s)),
                beep=beep, if_exists="overwrite", terminate_on="#",
            )
        )  # fmt: skip

    # ------------------------------------------------------------------ failure and clean-up

    async def _fail_safe(self) -> None:
        """Tell the caller something went wrong, then hang up; bounded, never raises."""
        if self._gone:
            return
        try:
            await self._say(FALLBACK_TEXT, "fallback")
        except AriError as exc:
            log.error("fallback prompt failed: %s", type(exc).__name__)
        self.hangup_cause = self.hangup_cause or "ivr:error"

    async def _say(self, texts: dict[str, str], name: str) -> None:
        """Play one TTS text in the call's language and wait (bounded) for its end; a hang-up
        meanwhile is left in the mailbox."""
        ari_id = f"{self.key}-{name}"
        self._playbacks[ari_id] = ev.PlaybackId(name)
        try:
            async with asyncio.timeout(self.deps.clock.wall_seconds(FALLBACK_WAIT_S)):
                prompt = said_prompt(texts, self.language, self.state)
                media = await self.deps.prompts.media_uri(prompt)
                await self.deps.rest.play(self.channel_id, media, playback_id=ari_id)
                while not isinstance(
                    (pending := await self._mailbox.get()).event, ev.PromptFinished
                ):
                    if isinstance(pending.event, ev.CallerHungUp):
                        self._mailbox.put_nowait(pending)
                        return
        except TimeoutError:
            log.warning("%s prompt not finished in time", name)
        finally:
            self._playbacks.pop(ari_id, None)

    async def _cleanup(self) -> None:
        self._timers.cancel_all()
        for task in self._work:
            task.cancel()
        if self.speech is not None:
            await self.speech.aclose()  # bounded: socket closed, snoop/media/bridge gone
        try:
            async with asyncio.timeout(CLEANUP_TIMEOUT_S):
                await self._dequeue("hangup")
                await self._stop_live_media()
                if not self._gone:
                    with contextlib.suppress(AriError):
                        await self.deps.rest.hangup(self.channel_id)
        except TimeoutError:
            log.warning("clean-up timed out")
        except AriError as exc:
            log.warning("clean-up: %s", exc)
        try:
            async with asyncio.timeout(SEAL_TIMEOUT_S):
                await self.recordings.finish()
                if self._work:
                    await asyncio.wait(set(self._work))
        except TimeoutError:
            log.error("recordings of the call not sealed in time: see `ivr recordings orphans`")
        self._playbacks.clear()
        self.deps.prompts.end_call(self.key)  # its private prompts: gone, their URLs 404
        self.deps.records.call_ended(self.key, self.outcome, self.hangup_cause)
        if self.outbound is not None and self.deps.outbound is not None:
            await self.deps.outbound.ended(self.key, self.call_id)  # after the seal
        log.info("call ended outcome=%s cause=%s", self.outcome, self.hangup_cause)

    async def _stop_live_media(self) -> None:
        if not self._gone:
            await self._stop_prompts()
            await self.recordings.stop_channel_recordings()

    # ------------------------------------------------------------------ introspection

    @property
    def live(self) -> dict[str, int]:
        """What this call still holds (tests assert all zero after hang-up)."""
        return {
            "timers": len(self._timers),
            "playbacks": len(self._playbacks),
            "work": len(self._work) + self.recordings.sealing,
            "queued": int(self._queued is not None),
        }
