"""The inputs of a call session: ARI events of the call translated into engine events, posted
to the call's mailbox (`ivr.call.session.CallSession` runs them).

Rules: translating never blocks and never raises; a caller's hang-up is posted once (the first
of `ChannelHangupRequest`, `ChannelDestroyed`, `StasisEnd`, a 404 or a resync that finds the
channel gone), and from then on the call's recordings treat a part's end as the call's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ivr import ari
from ivr.ari import AriError, ChannelId
from ivr.call.deps import SessionDeps
from ivr.call.recording import CallRecordings
from ivr.call.session_parts import Pending, cause_text, finished_meanwhile
from ivr.call.speech import CallSpeech
from ivr.engine import events as ev

log = logging.getLogger(__name__)


class SessionInputs:
    """Mixin of `CallSession`: its event inputs (the attributes are set by the session)."""

    deps: SessionDeps
    key: str
    channel_id: ChannelId
    speech: CallSpeech | None
    recordings: CallRecordings
    hangup_cause: str | None
    _mailbox: asyncio.Queue[Pending]
    _playbacks: dict[str, ev.PlaybackId]
    _last_digit: str
    _gone: bool
    _hung_up_sent: bool

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
        self._mailbox.put_nowait(Pending(event))

    async def resynced(self) -> None:  # the events websocket is back, the channel still here
        await finished_meanwhile(self.deps.rest, self._playbacks, self._post)

    def channel_lost(self, cause: str) -> None:
        """Resync found the channel gone while the events socket was down."""
        self.hangup_cause = self.hangup_cause or cause
        self._post(ev.CallerHungUp(cause))

    def _translate(self, event: ari.AriEvent) -> ev.Event | None:
        if self.recordings.on_event(event):
            return None
        match event:
            case ari.ChannelDtmfReceived(digit=digit) if event.channel.id == self.channel_id:
                self._last_digit = digit
                return ev.DigitPressed(digit)
            case ari.PlaybackFinished(playback=pb) if pb.id in self._playbacks:
                if pb.state == "failed" and not self._gone:  # at hang-up it fails by design
                    log.warning("playback failed media=%s", pb.media_uri)
                return ev.PromptFinished(self._playbacks.pop(pb.id))
            case ari.RecordingFinished(recording=rec) if self.recordings.owns(rec.name):
                duration = float(rec.duration_s or 0)
                return ev.RecordingDone(self.recordings.finished(rec.name), duration, "finished")
            case ari.RecordingFailed(recording=rec) if self.recordings.owns(rec.name):
                return ev.RecordingDone(self.recordings.failed(rec.name), 0.0, "failed")
            case ari.ChannelHangupRequest(channel=ch, cause=cause) if ch.id == self.channel_id:
                self.hangup_cause = self.hangup_cause or cause_text(cause)
                return ev.CallerHungUp(self.hangup_cause)
            case ari.ChannelDestroyed(channel=ch, cause=cause) if ch.id == self.channel_id:
                self.hangup_cause = cause_text(cause)
                return ev.CallerHungUp(self.hangup_cause)
            case ari.StasisEnd(channel=ch) if ch.id == self.channel_id:
                self.hangup_cause = self.hangup_cause or "normal"
                return ev.CallerHungUp(self.hangup_cause)
        return None

    # ------------------------------------------------------------------ speech

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
        """Barge-in: the caller started speaking, so the engine holds the menu's no-input timer
        for the utterance and the prompts stop (the final result, if any, then goes to the
        engine as `SpeechRecognised`)."""
        if self._gone:
            return
        self._post(ev.UtteranceStarted())
        with ari.urgent():
            await self._stop_prompts()

    async def _stop_prompts(self) -> None:
        for ari_id in list(self._playbacks):
            with contextlib.suppress(AriError):
                await self.deps.rest.stop_playback(ari_id)
