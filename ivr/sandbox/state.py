"""The sandbox switch's shared state: what exists, its tasks, its events, its media timeline.

Role: `SwitchState` holds the channels, bridges, playbacks, live recordings and media links,
owns every background task (`spawn`), emits events through the `EventHub`, keeps the media
`Timeline` (and its `Mixer`) and implements the lookups every feature needs: find a channel the
way Asterisk does (404 gone, 409 not in Stasis, 412 wrong state), create one, enter Stasis. It
also keeps the request log and the injected faults the HTTP face applies. Bridge membership
and playback endings are `members.py`, hang-ups `hangup.py`, both built on this.

Rules: one event loop, no locks; every task is owned here and cancelled on `stop()`; timings
use the switch clock (`config.speed`). REST errors are raised as `AriErrorReply(status,
message)` with Asterisk's messages. Scenario calls are told what happens to their channel
through the `CallObserver` protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import itertools
import logging
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ivr.sandbox import audio
from ivr.sandbox.config import AriErrorReply, EndpointBehavior, SandboxConfig, SwitchClock
from ivr.sandbox.events import EventHub, Json
from ivr.sandbox.media import MediaResolver
from ivr.sandbox.mixer import Mixer
from ivr.sandbox.model import (
    Bridge,
    BridgeId,
    Channel,
    ChannelId,
    LiveRecording,
    MediaLink,
    Playback,
    PlaybackId,
)
from ivr.sandbox.timeline import Samples, Timeline, slot_of

log = logging.getLogger(__name__)

MOH_LOOP_S = 900  # music on hold is looped this long (a hold longer than that goes silent)


@dataclass(slots=True)
class RequestRecord:
    """One REST request as the switch saw it (for test assertions); `status` once answered."""

    method: str
    path: str
    params: dict[str, str]
    status: int = 0


@dataclass(slots=True)
class Fault:
    """An injected failure: the next `remaining` matching requests wait and/or fail."""

    method: str
    path_pattern: str
    status: int | None
    delay_s: float
    remaining: int


class CallObserver(Protocol):
    """Who is told what happens to one channel (a scenario call, keyed by its channel id)."""

    def on_event(self, event: Json) -> None: ...
    def on_answer(self) -> None: ...
    def heard_start(self, media_uri: str, at_s: float) -> None: ...
    def heard_end(self, media_uri: str, at_s: float, outcome: str) -> None: ...
    def note_dtmf_sent(self, digits: str, at_s: float) -> None: ...
    def end(self, by: str, cause: int, *, outcome: str | None = None) -> None: ...


class SwitchState:
    """State and primitives of the switch (see the module docstring)."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = SwitchClock(self.config.speed)
        self.hub = EventHub(asterisk_id=self.config.asterisk_id, timestamp=self.clock.timestamp)
        self.media = MediaResolver(
            sounds_dir=self.config.sounds_dir,
            recordings_dir=self.config.recordings_dir,
            now_s=self.clock.now_s,
            min_url_len=self.config.http_media_min_url_len,
            fetch_timeout_s=self.config.http_fetch_timeout_s,
        )
        self.endpoints: dict[str, EndpointBehavior] = dict(self.config.endpoints)
        self.channels: dict[ChannelId, Channel] = {}
        self.bridges: dict[BridgeId, Bridge] = {}
        self.playbacks: dict[PlaybackId, Playback] = {}
        self.live_recordings: dict[str, LiveRecording] = {}
        self.media_links: dict[str, MediaLink] = {}  # connection id -> link
        self.link_of: dict[str, MediaLink] = {}  # media channel id -> link
        self.snoops_of: dict[str, set[ChannelId]] = {}  # spied channel id -> snoop channel ids
        self.observers: dict[str, CallObserver] = {}  # channel id -> its scenario call
        self.requests: list[RequestRecord] = []
        self.faults: list[Fault] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        self.seq = itertools.count(0)  # Local, Recorder and Announcer channel names
        self.snoop_seq = itertools.count(0)
        self.moh_music: dict[str, Samples] = {}  # class -> looped music (8 kHz)
        self.timeline = Timeline()
        self.mixer = Mixer(self.timeline)
        self._epoch = int(time.time())
        self.hub.listeners.append(self._route_event)

    # ---- tasks -------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sandbox task failed name=%s", task.get_name(), exc_info=task.exception())

    def spawn_for(self, channel: Channel, coro: Coroutine[Any, Any, Any]) -> None:
        task = self.spawn(coro, name=f"sandbox-{channel.id}")
        channel.tasks.add(task)
        task.add_done_callback(channel.tasks.discard)

    async def stop(self) -> None:
        """Cancel every task, drop the websockets, close media links and the media fetcher."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.hub.drop_all()
        for link in self.media_links.values():
            if link.ws is not None:
                await link.ws.close()
            if link.rtp is not None:
                link.rtp.close()
        await self.media.close()

    # ---- faults ------------------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fnmatch.fnmatchcase(path, fault.path_pattern):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # ---- ids and lookups ---------------------------------------------------------------------

    def new_id(self) -> str:
        return f"{self._epoch}.{next(self._ids)}"

    def channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(ChannelId(channel_id))
        if channel is None:
            raise AriErrorReply(404, "Channel not found")
        return channel

    def control(self, channel_id: str) -> Channel:
        """A channel the app controls: 404 if gone, 409 if not in Stasis (find_control)."""
        channel = self.channel(channel_id)
        if not channel.in_stasis():
            raise AriErrorReply(409, "Channel not in Stasis application")
        return channel

    def controllable(self, channel_id: str) -> Channel:
        channel = self.control(channel_id)
        if channel.state in ("Down", "Rsrvd", "Ringing"):
            raise AriErrorReply(412, "Channel in invalid state")
        return channel

    def new_channel(self, channel_id: str | None, name: str, state: str, **kw: Any) -> Channel:
        cid = ChannelId(channel_id or self.new_id())
        if cid in self.channels:
            raise AriErrorReply(409, "Channel with given unique ID already exists")
        channel = Channel(
            id=cid,
            name=name,
            state=state,
            creationtime=self.clock.timestamp(),
            language=self.config.language,
            **kw,
        )
        self.channels[cid] = channel
        self.timeline.born(cid, self.slot())
        return channel

    @contextlib.contextmanager
    def scripted(self, at_s: float) -> Iterator[None]:
        """Events of a scripted far-end action are stamped with `at_s`, the switch time it was
        scheduled for (the loop may run it late; switch time stays exact)."""
        self.hub.pinned_s = at_s
        try:
            yield
        finally:
            self.hub.pinned_s = None

    def slot(self, at_s: float | None = None) -> int:
        """The timeline slot of switch time `at_s` (default: now, or a scripted action's time)."""
        if at_s is None:
            at_s = self.clock.now_s() if self.hub.pinned_s is None else self.hub.pinned_s
        return slot_of(at_s)

    def observer_of(self, channel_id: str) -> CallObserver | None:
        return self.observers.get(channel_id)

    # ---- events ------------------------------------------------------------------------------

    def emit_channel(
        self, channel: Channel, event_type: str, at_s: float | None = None, **fields: Any
    ) -> None:
        if channel.app is None:
            return
        self.hub.emit(channel.app, event_type, at_s, **fields, channel=channel.to_json())

    def emit_dial(self, channel: Channel, status: str, dialstring: str) -> None:
        if channel.app is not None:
            self.hub.emit(
                channel.app,
                "Dial",
                dialstatus=status,
                forward="",
                dialstring=dialstring,
                peer=channel.to_json(),
            )

    def stasis_start(self, channel: Channel, app: str, args: list[str]) -> None:
        channel.app, channel.stasis = app, True
        channel.app_name, channel.app_data = "Stasis", ",".join([app, *args])
        self.emit_channel(channel, "StasisStart", args=args)

    def _route_event(self, event: Json) -> None:
        """Copy an event about a scenario call's channel into that call's transcript."""
        ids = (
            (event.get("channel") or {}).get("id"),
            (event.get("peer") or {}).get("id"),
            (event.get("playback") or {}).get("target_uri", "").partition(":")[2],
        )
        for cid in {i for i in ids if i}:
            observer = self.observers.get(cid)
            if observer is not None:
                observer.on_event(event)

    # ---- music on hold (heard by scenario calls) ---------------------------------------------

    def start_moh(self, channel: Channel, moh_class: str, *, heard_only: bool = False) -> None:
        """Music on hold for `channel` (`heard_only`: bridge MOH, in the transcript only)."""
        if channel.moh_class is None:
            channel.moh_class = moh_class
            if not heard_only:
                clip = self.moh_clip(moh_class)
                self.timeline.open(self.timeline.moh, channel.id, self.slot(), clip)
            observer = self.observer_of(channel.id)
            if observer is not None:
                observer.heard_start(f"moh:{moh_class}", self.clock.now_s())

    def set_moh_music(self, moh_class: str, wav: bytes) -> None:
        """The music of class `moh_class` (any 16-bit WAV), looped while it plays; a class
        without music falls back to `default` (as res_musiconhold does), else silent frames."""
        samples, rate = audio.read_wav_samples(wav)
        once = audio.resample(samples, rate, audio.RATE_8K)
        loops = -(-MOH_LOOP_S * audio.RATE_8K // max(1, len(once)))
        self.moh_music[moh_class] = np.tile(once, loops)[: MOH_LOOP_S * audio.RATE_8K]

    def moh_clip(self, moh_class: str) -> Samples | None:
        return self.moh_music.get(moh_class, self.moh_music.get("default"))

    def end_moh(self, channel: Channel) -> None:
        if channel.moh_class is not None:
            self.timeline.close_all(self.timeline.moh, channel.id, self.slot())
            observer = self.observer_of(channel.id)
            if observer is not None:
                observer.heard_end(f"moh:{channel.moh_class}", self.clock.now_s(), "stopped")
            channel.moh_class = None
