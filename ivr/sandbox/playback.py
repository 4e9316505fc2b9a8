"""Playbacks of the sandbox switch (`POST /channels/{id}/play`, `/bridges/{id}/play`).

Role: one queue per target (Asterisk plays a channel's media one after another): 201 `queued`,
`PlaybackStarted`, then `PlaybackFinished` `done` (after the media's duration, exactly, in
switch time) or `failed` (see `media.py`); `DELETE /playbacks/{id}` stops it (`done`)
(`docs/asterisk-behaviour.md`, "Playback").

Rules: playback tasks are never cancelled; they end through `playback.stop`. Scenario calls
hear what plays to them (transcript).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.media import Unplayable
from ivr.sandbox.model import Bridge, BridgeId, Channel, Playback, PlaybackId
from ivr.sandbox.state import SwitchState

log = logging.getLogger(__name__)


class Player:
    """Plays media to channels and bridges."""

    def __init__(self, sw: SwitchState) -> None:
        self.sw = sw
        self._chains: dict[str, asyncio.Task[Any]] = {}  # playback queue per target

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
        self._chains[target_uri] = task  # stopped via playback.stop, never cancelled
        return body

    async def _run_playback(
        self, playback: Playback, media: list[str], previous: asyncio.Task[Any] | None
    ) -> None:
        try:
            if previous is not None and not previous.done():
                await asyncio.wait({previous})
            if not playback.stop.is_set():
                for uri in media:
                    playback.media_uri = uri
                    if not await self._play_one(playback) or playback.stop.is_set():
                        break
        finally:
            self.sw.playbacks.pop(playback.id, None)

    async def _play_one(self, playback: Playback) -> bool:
        playback.state = "playing"
        playback.started_s = self.sw.clock.now_s()
        self.sw.hub.emit(playback.app, "PlaybackStarted", playback=playback.to_json())
        self._notify_calls(playback, "start", playback.started_s)
        result = await self.sw.media.resolve(playback.media_uri, playback.language)
        end_s: float | None = None
        if isinstance(result, Unplayable):
            log.info("sandbox playback failed media=%s why=%s", playback.media_uri, result.reason)
            playback.state = "failed"
        else:
            end_s = await self._play_for(playback, result.duration_s)
            playback.state = "done"
        self.sw.hub.emit(playback.app, "PlaybackFinished", end_s, playback=playback.to_json())
        outcome = "stopped" if playback.stop.is_set() else playback.state
        self._notify_calls(playback, outcome, end_s)
        return playback.state == "done"

    async def _play_for(self, playback: Playback, duration_s: float | None) -> float | None:
        """Play until the media ends or the playback is stopped; the switch time it ended
        by itself (exactly start + duration), or None when stopped."""
        begin_s = self.sw.clock.now_s()
        timeout = None if duration_s is None else self.sw.clock.wall_s(duration_s)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await playback.stop.wait()
                return None
        return begin_s + (duration_s or 0.0)

    def _notify_calls(self, playback: Playback, what: str, at_s: float | None) -> None:
        kind, _, target_id = playback.target_uri.partition(":")
        if kind == "channel":
            ids = [target_id]
        else:
            bridge = self.sw.bridges.get(BridgeId(target_id))
            ids = list(bridge.channels) if bridge is not None else []
        at_s = self.sw.clock.now_s() if at_s is None else at_s
        for cid in ids:
            call = self.sw.observer_of(cid)
            if call is None:
                continue
            if what == "start":
                call.heard_start(playback.media_uri, at_s)
            else:
                call.heard_end(playback.media_uri, at_s, what)

    def get_playback(self, playback_id: str) -> Json:
        playback = self.sw.playbacks.get(PlaybackId(playback_id))
        if playback is None:
            raise AriErrorReply(404, "Playback not found")
        return playback.to_json()

    def stop_playback(self, playback_id: str) -> None:
        playback = self.sw.playbacks.get(PlaybackId(playback_id))
        if playback is None:
            raise AriErrorReply(404, "Playback not found")
        playback.stop.set()
        if playback.state == "queued":
            self.sw.playbacks.pop(playback.id, None)
