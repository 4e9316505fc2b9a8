"""One call: the I/O shell around the pure flow engine.

A `CallSession` owns one caller channel. ARI events of the call (already ordered by its lane
in `ivr.call.router`) are translated into engine events and put in the call's mailbox; timers,
lookups (`ivr.call.timers`) and queue outcomes land in the same mailbox, so the engine sees one
ordered stream. The session task takes one event at a time, calls `engine.step`, and executes
the commands. Its recordings are `ivr.call.recording.CallRecordings`; what every call shares,
including the call policy of the settings (default flow, recorded flows), is `SessionDeps`.

Rules:
- The engine decides, the session only executes. No menu logic here.
- Every wait has a limit: timers are clock sleeps, lookups run under `timeout_s`, the clean-up
  is bounded.
- Hang-up at any moment: timers cancelled, lookups cancelled, playbacks stopped, the queue entry
  removed, the call row closed with its cause. `ChannelGone` (404) means the caller left.
- ARI failing (5xx or timeout after the client's retries): the caller hears the fallback prompt
  and the call ends cleanly; never a call stuck in silence.
- The queue store down at `Enqueue` (`StoreUnavailable`): the queue node takes the flow's own
  fallback (`on_overflow`, else `on_timeout`); a node without either ends with the fallback prompt.
- No PIN or account digits in logs: the engine masks trace entries; lookup params are never
  logged (their repr masks secrets).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field

from ivr import ari
from ivr.ari import AriError, AriUnavailable, ChannelGone, ChannelId
from ivr.call.deps import SessionDeps
from ivr.call.recording import CallRecordings
from ivr.call.speech import CallSpeech
from ivr.call.timers import CallTimers, lookup_result
from ivr.engine import commands as cmd
from ivr.engine import events as ev
from ivr.engine.interpreter import start, step
from ivr.engine.state import CallState
from ivr.log import call_key as call_key_var
from ivr.queue.handoff import QueuedCall, store_down_outcome
from queueing.errors import StoreUnavailable

log = logging.getLogger(__name__)

CLEANUP_TIMEOUT_S = 2.0
SEAL_TIMEOUT_S = 10.0  # stop + fetch + hash of the call's recordings at its end
FALLBACK_WAIT_S = 15.0
FALLBACK_TEXT = {
    "zh-CN": "抱歉，系统暂时繁忙，请稍后再拨。",
    "en": "Sorry, our system is busy. Please call again later.",
}


@dataclass
class _Pending:
    """An engine event and when its cause arrived (for event->action latency)."""

    event: ev.Event
    arrived: float = field(default_factory=time.perf_counter)


class CallSession:
    """One caller channel in the app. `deliver()` ARI events; `run()` is the call's task."""

    def __init__(self, deps: SessionDeps, channel: ari.Channel) -> None:
        self.deps = deps
        self.key = channel.id
        self.call_id = uuid.uuid4().hex  # the call row's id (and the recordings' call id)
        self.channel_id: ChannelId = channel.id
        self.caller = channel.caller.number
        self.dialed = channel.dialplan.exten if channel.dialplan else ""
        self.language = "zh-CN"
        self.state: CallState | None = None
        self.outcome = "unknown"
        self.hangup_cause: str | None = None
        self._mailbox: asyncio.Queue[_Pending] = asyncio.Queue()
        self._timers = CallTimers(deps.clock, self._post, self.key)
        self._work: set[asyncio.Task[None]] = set()
        self._playbacks: dict[str, ev.PlaybackId] = {}  # ARI playback id -> engine id
        self._queued: str | None = None
        self._gone = False
        self._hung_up_sent = False
        self._arrived: float | None = None
        self._provider = deps.providers.for_call(self.call_id)  # per call (PIN failures)
        self.events_handled = 0  # engine steps taken (tests wait on it)
        self.recordings = CallRecordings(
            deps.keeper, deps.rest, deps.bind, key=self.key, call_id=self.call_id,
            channel_id=self.channel_id, app_name=deps.app_name, now=deps.clock.now_s,
            alert=deps.alert, incident=deps.metrics.recording_incident,
        )  # fmt: skip
        self.speech: CallSpeech | None = None  # the speech runner, once a menu listened

    # ------------------------------------------------------------------ inputs

    def deliver(self, event: ari.AriEvent) -> None:
        """Translate one ARI event of this call into the mailbox (never blocks)."""
        translated = self._translate(event)
        if translated is not None:
            self._post(translated)

    def _post(self, event: ev.Event) -> None:
        if isinstance(event, ev.CallerHungUp):
            if self._hung_up_sent:
                return
            self._hung_up_sent = True
            self._gone = True
            self.recordings.caller_gone()
        self._mailbox.put_nowait(_Pending(event))

    def channel_lost(self, cause: str) -> None:
        """Resync found the channel gone while the events socket was down."""
        self.hangup_cause = self.hangup_cause or cause
        self._post(ev.CallerHungUp(cause))

    def _translate(self, event: ari.AriEvent) -> ev.Event | None:
        if self.recordings.on_event(event):
            return None
        match event:
            case ari.ChannelDtmfReceived(digit=digit) if event.channel.id == self.channel_id:
                return ev.DigitPressed(digit)
            case ari.PlaybackFinished(playback=pb) if pb.id in self._playbacks:
                if pb.state == "failed":
                    log.warning("playback failed media=%s", pb.media_uri)
                return ev.PromptFinished(self._playbacks.pop(pb.id))
            case ari.RecordingFinished(recording=rec) if self.recordings.owns(rec.name):
                duration = float(rec.duration_s or 0)
                return ev.RecordingDone(self.recordings.finished(rec.name), duration, "finished")
            case ari.RecordingFailed(recording=rec) if self.recordings.owns(rec.name):
                return ev.RecordingDone(self.recordings.failed(rec.name), 0.0, "failed")
            case ari.ChannelHangupRequest(channel=ch, cause=cause) if ch.id == self.channel_id:
                self.hangup_cause = self.hangup_cause or _cause_text(cause)
                return ev.CallerHungUp(self.hangup_cause)
            case ari.ChannelDestroyed(channel=ch, cause=cause) if ch.id == self.channel_id:
                self.hangup_cause = _cause_text(cause)
                return ev.CallerHungUp(self.hangup_cause)
            case ari.StasisEnd(channel=ch) if ch.id == self.channel_id:
                self.hangup_cause = self.hangup_cause or "normal"
                return ev.CallerHungUp(self.hangup_cause)
        return None

    # ------------------------------------------------------------------ the call

    async def run(self) -> None:
        call_key_var.set(self.key)
        self.deps.metrics.active_calls.inc()
        try:
            await self._drive()
        except ChannelGone:
            log.info("caller gone")
        except AriUnavailable as exc:
            log.error("ARI unavailable, failing the call safely: %s", exc)
            self.outcome = "error"
            await self._fail_safe()
        except Exception:
            log.exception("call failed")
            self.outcome = "error"
            await self._fail_safe()
        finally:
            await self._cleanup()
            self.deps.metrics.active_calls.dec()
            self.deps.metrics.calls_total.labels(self.outcome).inc()

    async def _drive(self) -> None:
        flows = self.deps.flows()
        flow_name = flows.flow_for_number(self.dialed) or self.deps.default_flow
        self.language = flows.flows[flow_name].default_language
        self.deps.records.call_started(
            self.key,
            call_id=self.call_id,
            channel_id=self.channel_id,
            caller=self.caller,
            dialed=self.dialed,
            language=self.language,
            flow=flow_name,
        )
        log.info("call started flow=%s dialed=%s", flow_name, self.dialed)
        await self.deps.rest.answer(self.channel_id)
        self.deps.records.answered(self.key)
        started = ev.CallStarted(self.caller, self.dialed, None, self.deps.clock.now())
        state, commands = start(flows, flow_name, started)
        await self._apply(state, commands)
        while not state.finished:
            pending = await self._mailbox.get()
            self._arrived = pending.arrived
            state, commands = step(flows, state, pending.event)
            self.events_handled += 1
            await self._apply(state, commands)
        if self.outcome == "answered":
            await self._connected()

    async def _connected(self) -> None:
        """Caller and agent are bridged: the flow is done; wait for either side to hang up."""
        log.info("connected to an agent")
        while not isinstance((await self._mailbox.get()).event, ev.CallerHungUp):
            pass

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
            self.outcome = _outcome_name(state)

    # ------------------------------------------------------------------ commands

    async def _execute(self, command: cmd.Command) -> None:
        if self._gone and _needs_channel(command):
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
                await self._ari(
                    self.deps.rest.continue_in_dialplan(
                        self.channel_id, context="ivr-transfer", extension=target, priority=1
                    )
                )
            case cmd.Hangup(reason=reason):
                await self._ari(self.deps.rest.hangup(self.channel_id, reason="normal"))
                self.hangup_cause = self.hangup_cause or f"ivr:{reason}"
                self._gone = True

    def _start_recognition(self, language: str, grammar: tuple[str, ...]) -> None:
        """Listen for the menu's phrases (`ivr.call.speech`); no speech service: DTMF-only."""
        service = self.deps.speech
        if service is None:
            return
        if self.speech is None:
            self.speech = service.for_call(
                self.key, self.channel_id, self._post, self._speech_started
            )
        self.speech.start(language, grammar)

    async def _speech_started(self) -> None:
        """Barge-in: the caller started speaking, so the prompts stop (the final result, if
        any, then goes to the engine as `SpeechRecognised`)."""
        if self._gone:
            return
        for ari_id in list(self._playbacks):
            with contextlib.suppress(AriError):
                await self.deps.rest.stop_playback(ari_id)

    async def _ari(self, request: Awaitable[object]) -> object:
        """Await one ARI request; the first one after an event records event->action latency."""
        arrived, self._arrived = self._arrived, None
        result = await request
        if arrived is not None:
            self.deps.metrics.event_latency.observe(time.perf_counter() - arrived)
        return result

    async def _play(self, pid: ev.PlaybackId, prompt: cmd.Prompt) -> None:
        media = await self.deps.prompts.media_uri(prompt)
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

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _lookup(self, command: cmd.Lookup) -> None:
        self._post(await lookup_result(self._provider, command))

    async def _enqueue(self, command: cmd.Enqueue) -> None:
        self._queued = command.queue
        self.deps.records.queued(self.key, command.queue, command.priority)
        log.info("queued queue=%s priority=%s", command.queue, command.priority)
        call = QueuedCall(self.key, self.channel_id, command, self._post)
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
                self.channel_id,
                ari_name,
                format="wav",
                max_duration_s=max(1, round(max_s)),
                beep=beep,
                if_exists="overwrite",
                terminate_on="#",
            )
        )

    # ------------------------------------------------------------------ failure and clean-up

    async def _fail_safe(self) -> None:
        """Tell the caller something went wrong, then hang up; bounded, never raises."""
        if self._gone:
            return
        text = FALLBACK_TEXT.get(self.language, FALLBACK_TEXT["zh-CN"])
        try:
            async with asyncio.timeout(self.deps.clock.wall_seconds(FALLBACK_WAIT_S)):
                media = await self.deps.prompts.media_uri(cmd.TtsPrompt(text, self.language))
                pb_id = f"{self.key}-fallback"
                self._playbacks[pb_id] = ev.PlaybackId("fallback")
                await self.deps.rest.play(self.channel_id, media, playback_id=pb_id)
                while True:
                    pending = await self._mailbox.get()
                    if isinstance(pending.event, ev.PromptFinished | ev.CallerHungUp):
                        break
        except (AriError, TimeoutError) as exc:
            log.error("fallback prompt failed: %s", type(exc).__name__)
        self.hangup_cause = self.hangup_cause or "ivr:error"

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
        self.deps.records.call_ended(self.key, self.outcome, self.hangup_cause)
        log.info("call ended outcome=%s cause=%s", self.outcome, self.hangup_cause)

    async def _stop_live_media(self) -> None:
        if self._gone:
            return
        for ari_id in list(self._playbacks):
            with contextlib.suppress(AriError):
                await self.deps.rest.stop_playback(ari_id)
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


def _needs_channel(command: cmd.Command) -> bool:
    return isinstance(
        command,
        cmd.PlayPrompt
        | cmd.StopPlayback
        | cmd.Record
        | cmd.StopRecording
        | cmd.Transfer
        | cmd.Hangup
        | cmd.Enqueue,
    )


def _cause_text(cause: int | None) -> str:
    names = {16: "normal", 17: "busy", 19: "no_answer", 21: "rejected", 32: "hangup_request"}
    if cause is None:
        return "unknown"
    return names.get(cause, f"cause_{cause}")


def _outcome_name(state: CallState) -> str:
    return state.outcome.kind if state.outcome is not None else "unknown"
