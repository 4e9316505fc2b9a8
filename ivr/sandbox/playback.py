"""Playbacks of the sandbox switch (`POST /channels/{id}/play`, `/bridges/{id}/play`).

Role: one queue per target (Asterisk plays a channel's media one after another; a bridge's
queue is its own, so a bridge prompt during a channel prompt starts at once): 201 `queued`,
`PlaybackStarted`, then `PlaybackFinished` `done` (after the media's duration, exactly, in
switch time) or `failed` (see `media.py`); `DELETE /playbacks/{id}` stops it (`done`, at
once). A channel's music on hold stops when a play to it starts and does not come back (the
api-docs' note on `POST /channels/{id}/moh`). A bridge playback is an announcer member of the
bridge while it plays (`ChannelVarset BRIDGEPEER`, then `PlaybackStarted`, then
`ChannelConnectedLine`); a playback's audio goes into the media timeline
(`docs/asterisk-behaviour.md`, "Playback").
Hang-ups, bridge deletion and `removeChannel` end playbacks through `BridgeCore`.

Rules: playback tasks are never cancelled; they end through `BridgeCore.end_playback` (or,
between two media of one playback, here). Scenario calls hear what plays to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import numpy as np

from ivr.sandbox import audio
from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.hangup import SwitchCore
from ivr.sandbox.media import Playable, Unplayable
from ivr.sandbox.model import Bridge, BridgeId, Channel, ChannelId, Playback, PlaybackId
from ivr.sandbox.timeline import Samples, Span

log = logging.getLogger(__name__)

MAX_CLIPS = 64


class Player:
    """Plays media to channels and bridges."""

    def __init__(self, sw: SwitchCore) -> None:
        self.sw = sw
        self._chains: dict[str, asyncio.Task[Any]] = {}  # playback queue per target
        self._clips: dict[int, Samples | None] = {}  # decoded prompts, shared by playbacks

    def play(
        self, target: Channel | Bridge, media: list[str], lang: str | None, pid: str | None
    ) -> Json:
        if pid and PlaybackId(pid) in self.sw.playbacks:
            raise AriErrorReply(409, "Playback with given id already exists")
        target_uri = (
            f"channel:{target.id}" if isinstance(target, Channel) else f"bridge:{target.id}"
        )
        app = target.app
        language = lang or (
            target.language if isinstance(target, Channel) else self.sw.config.language
        )
        playback = Playback(PlaybackId(pid or str(uuid.uuid4())), media[0], target_uri, language)
        playback.app = app or ""
        self.sw.playbacks[playback.id] = playback
        body = playback.to_json()
        previous = self._chains.get(target_uri)
        task = self.sw.spawn(
            self._run_playback(playback, media, previous), name=f"pb-{playback.id}"
        )
        self._chains[target_uri] = task  # stopped via end_playback, never cancelled
        return body

    async def _run_playback(
        self, playback: Playback, media: list[str], previous: asyncio.Task[Any] | None
    ) -> None:
        try:
            queued = previous is not None and not previous.done()
            if previous is not None and queued:
                await asyncio.wait({previous})
            for i, uri in enumerate(media):
                if playback.finished:
                    break
                playback.media_uri = uri
                if not await self._play_one(playback, last=i == len(media) - 1, queued=queued):
                    break
                queued = True
        finally:
            if not playback.finished:
                self.sw.end_playback(playback, "failed", vanish=True)

    def _start(self, playback: Playback, queued: bool) -> Span | None:
        """`PlaybackStarted` (a bridge's announcer joins first); the span its audio fills
        (`queued`: it follows the target's previous prompt without a gap)."""
        sw = self.sw
        playback.state = "playing"
        playback.started_s = sw.clock.now_s()
        kind, _, target_id = playback.target_uri.partition(":")
        span: Span | None = None
        bridge = sw.bridges.get(BridgeId(target_id)) if kind == "bridge" else None
        if bridge is not None:
            member = sw.new_member("announcer", f"pb:{playback.id}", "Announcer/ARI")
            playback.announcer = member
            sw.join_other(bridge, member)
            span = sw.timeline.members[bridge.id][-1].span
        elif kind == "channel":
            channel = sw.channels.get(ChannelId(target_id))
            if channel is not None and channel.moh_class is not None:
                sw.end_moh(channel)  # as Asterisk: a play suspends the channel's MOH for good
            at, before = sw.slot(), sw.timeline.played.get(target_id)
            if queued and before and before[-1].end is not None:
                at = min(at, before[-1].end)
            span = sw.timeline.open(sw.timeline.played, target_id, at, None)
        sw.hub.emit(playback.app, "PlaybackStarted", playback=playback.to_json())
        if bridge is not None:
            sw.connected_lines(bridge)
        sw.notify_heard(playback, "start", playback.started_s)
        return span

    async def _play_one(self, playback: Playback, *, last: bool, queued: bool) -> bool:
        sw = self.sw
        span = self._start(playback, queued)
        result = await sw.media.resolve(playback.media_uri, playback.language)
        if playback.finished:
            return False
        if isinstance(result, Unplayable):
            log.info("sandbox playback failed media=%s why=%s", playback.media_uri, result.reason)
            sw.end_playback(playback, "failed")
            return False
        if span is not None:
            if result.wav is not None and sw.slot() > span.start + 5:
                span.start = sw.slot()  # the audio begins once a slow fetch is done
            span.clip = self._clip(result)
        end_s = await self._play_for(playback, result.duration_s)
        if playback.finished:
            return False
        if last:
            sw.end_playback(playback, "done", end_s)
            return True
        # One of several media of this playback ended: Finished, and the next one starts.
        playback.state = "done"
        kind, _, target_id = playback.target_uri.partition(":")
        if kind == "channel":
            sw.timeline.close_all(sw.timeline.played, target_id, sw.slot(end_s))
        elif playback.announcer is not None and (bridge := sw.bridges.get(BridgeId(target_id))):
            sw.leave_other(bridge, playback.announcer, end_s)
        sw.hub.emit(playback.app, "PlaybackFinished", end_s, playback=playback.to_json())
        sw.notify_heard(playback, "done", end_s)
        return True

    async def _play_for(self, playback: Playback, duration_s: float | None) -> float:
        """Play until the media ends (exactly start + duration, switch time) or it is ended."""
        begin_s = self.sw.clock.now_s()
        timeout = None if duration_s is None else self.sw.clock.wall_s(duration_s)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await playback.stop.wait()
        return begin_s + (duration_s or 0.0)

    def get_playback(self, playback_id: str) -> Json:
        playback = self.sw.playbacks.get(PlaybackId(playback_id))
        if playback is None:
            raise AriErrorReply(404, "Playback not found")
        return playback.to_json()

    def stop_playback(self, playback_id: str) -> None:
        playback = self.sw.playbacks.get(PlaybackId(playback_id))
        if playback is None:
            raise AriErrorReply(404, "Playback not found")
        self.sw.end_playback(playback, "done", outcome="stopped")

    def _clip(self, result: Playable) -> Samples | None:
        """A prompt's audio at 8 kHz (None: silence, for media without a file)."""
        if result.wav is None:
            return None
        key = hash(result.wav)
        if key not in self._clips:
            if len(self._clips) >= MAX_CLIPS:
                self._clips.clear()
            self._clips[key] = _decode(result.wav)
        return self._clips[key]


def _decode(wav: bytes) -> Samples | None:
    try:
        samples, rate = audio.read_wav_samples(wav)
    except audio.WavError:
        return None
    clip: Samples = audio.resample(samples, rate, audio.RATE_8K).astype(np.int16)
    return clip
