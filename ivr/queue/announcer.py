"""What waiting callers hear, and the exit keys they may press: the shell around
`ivr.queue.announce` (which decides the texts and the open exits).

For each call `open`ed here, `start` runs one loop task: an announcement of position, estimated
wait and open exits now, then every `periodic_every_s` of the queue (clock time). Music on hold
stops for each announcement (a TTS prompt: Asterisk suspends a channel's music when a play
starts, `docs/asterisk-behaviour.md`) and is started again once it has played. `stop` ends the
loop; `confirm_callback` tells a caller their callback is booked.

Rules:
- Each prompt waits for its `PlaybackFinished` (routed here: `owns`, `finished`) at most
  `ANNOUNCE_TIMEOUT_S` of clock time.
- A stopped loop never restarts music on hold; `stop(cut_prompt=True)` also stops a prompt that
  is playing.
- `exit_for(key, digit)` answers from the exits last announced; before the first announcement
  (or with no prompts wired) only the flow's own callback offer is open.
- A store or ARI failure skips one announcement; it never ends the loop. A store outage is
  logged once for all callers (`ivr.outage`), an ARI failure per announcement.
- The wait for `PlaybackFinished` is an `asyncio.timeout`: a cancel swallowed there (3.11) is
  harmless, `stop` clears `line.task` first and the loop ends once it is not its own task.
- With no prompts wired (`prompts is None`) nothing is said: music on hold only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass, field
from typing import Protocol

from ivr.ari import AriError, AriNotFound, AriRest, ChannelId
from ivr.clock import Clock
from ivr.engine.commands import Prompt, TtsPrompt
from ivr.engine.phones import dialable
from ivr.outage import Outage
from ivr.queue import announce
from ivr.queue.handoff import QueuedCall
from queueing.config import ExitOption
from queueing.errors import QueueStoreError
from queueing.policy import CallKey
from queueing.store import RedisQueueStore

log = logging.getLogger(__name__)

ANNOUNCE_TIMEOUT_S = 60.0  # clock seconds one announcement may take before MOH comes back


class PromptMedia(Protocol):
    """Turns a prompt into an ARI media URI (the session's `PromptMedia`)."""

    async def media_uri(self, prompt: Prompt) -> str: ...


@dataclass
class _Line:
    """One waiting caller's announcements."""

    call: QueuedCall
    exits: announce.Exits
    task: asyncio.Task[None] | None = None
    playback_id: str | None = None
    played: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def channel(self) -> ChannelId:
        return ChannelId(self.call.channel_id)

    @property
    def language(self) -> str:
        return self.call.request.attributes.get("language", "zh-CN")


class Announcer:
    """Announcement loops and exit keys of the calls waiting in this process."""

    def __init__(
        self, store: RedisQueueStore, rest: AriRest, clock: Clock, prompts: PromptMedia | None
    ) -> None:
        self._store = store
        self._outage = Outage("waiting announcements")
        self._rest = rest
        self._clock = clock
        self.prompts = prompts  # None: no announcements (music on hold only)
        self._lines: dict[str, _Line] = {}
        self._playbacks: dict[str, str] = {}  # announcement playback id -> call key
        self._seq = itertools.count(1)

    @property
    def playing(self) -> int:
        return len(self._playbacks)

    def open(self, call: QueuedCall) -> None:
        exits = announce.Exits(callback=call.request.offer_callback)
        self._lines[call.key] = _Line(call, exits)

    def close(self, call: QueuedCall) -> None:
        """The call left the queue: its loop (if any) ends and its line is forgotten."""
        line = self._lines.get(call.key)
        if line is not None and line.call is call:
            del self._lines[call.key]
            self._cancel(line)

    def aclose(self) -> None:
        for line in self._lines.values():
            self._cancel(line)

    def announcing(self, key: str) -> bool:
        line = self._lines.get(key)
        return line is not None and line.task is not None

    def exit_for(self, key: str, digit: str) -> ExitOption | None:
        line = self._lines.get(key)
        return line.exits.allows(digit) if line is not None else None

    def owns(self, playback_id: str) -> bool:
        return playback_id in self._playbacks

    def finished(self, playback_id: str) -> None:
        line = self._lines.get(self._playbacks.get(playback_id, ""))
        if line is not None:
            line.played.set()

    def start(self, key: str) -> None:
        line = self._lines.get(key)
        if line is None or self.prompts is None or line.task is not None:
            return
        line.task = asyncio.create_task(self._announce_forever(line), name=f"announce-{key}")

    async def stop(self, key: str, *, cut_prompt: bool) -> None:
        """No more announcements; with `cut_prompt`, a prompt still playing is stopped."""
        line = self._lines.get(key)
        if line is None:
            return
        pb_id = line.playback_id
        self._cancel(line)
        if cut_prompt and pb_id is not None:
            self._playbacks.pop(pb_id, None)
            with contextlib.suppress(AriError):
                await self._rest.stop_playback(pb_id)

    async def confirm_callback(self, key: str) -> None:
        """Tell the caller the callback is booked; return once it has played."""
        line = self._lines.get(key)
        if line is None or self.prompts is None:
            return
        with contextlib.suppress(AriError):
            text = announce.callback_confirmation(line.language)
            await self._say(line, text, restart_moh=False)

    def _cancel(self, line: _Line) -> None:
        task, line.task = line.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _announce_forever(self, line: _Line) -> None:
        """Announce at entry, then every `periodic_every_s` (clock time) until stopped."""
        queue = self._store.config.queues[line.call.request.queue]
        every_s = queue.announcements.periodic_every_s
        me = asyncio.current_task()
        while line.task is me:  # a stop whose cancel was swallowed ends the loop here
            try:
                await self._announce_once(line)
                self._outage.ok()
            except QueueStoreError as exc:  # one warning per outage, not per caller
                self._outage.failed(exc)
            except AriNotFound:  # the caller hung up: the queue is told by the channel's events
                log.info("waiting announcements end: the caller's channel is gone")
                return
            except AriError as exc:
                log.warning("waiting announcement skipped: %s", exc)
            if line.task is not me:
                return
            await self._clock.sleep(every_s)

    async def _announce_once(self, line: _Line) -> None:
        call = line.call
        view = await self._store.caller_view(CallKey(call.key), self._clock.now_s())
        if view is None:
            return
        number_ok = dialable(call.request.attributes.get("caller", ""))
        line.exits = announce.open_exits(view, call.request.offer_callback, number_ok)
        queue = self._store.config.queues[call.request.queue]
        text = announce.waiting_text(view, queue.announcements, line.language, line.exits)
        if text is not None:
            log.info("announced pos=%d", view.position)
            await self._say(line, text, restart_moh=True)

    async def _say(self, line: _Line, text: str, *, restart_moh: bool) -> None:
        """Play `text` (TTS) to the caller, wait for it, restart MOH if asked and still
        announcing. No stop of the music first: Asterisk suspends a channel's music on hold
        when a play starts (and never resumes it by itself); a play refused leaves it on."""
        assert self.prompts is not None
        slow = line.call.request.attributes.get("speech_rate") == "slow"
        media = await self.prompts.media_uri(TtsPrompt(text, line.language, slow=slow))
        pb_id = f"{line.call.key}-wait-{next(self._seq)}"
        line.played.clear()
        line.playback_id = pb_id
        self._playbacks[pb_id] = line.call.key
        try:
            await self._rest.play(line.channel, media, playback_id=pb_id)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._clock.wall_seconds(ANNOUNCE_TIMEOUT_S)):
                    await line.played.wait()
        finally:
            self._playbacks.pop(pb_id, None)
            line.playback_id = None
        if restart_moh and line.task is not None:
            with contextlib.suppress(AriError):
                await self._rest.start_moh(line.channel)
