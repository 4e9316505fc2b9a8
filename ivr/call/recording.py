"""Compliant recording of calls over ARI, indexed and sealed in `recordings`.

`RecordingKeeper` (one per app) starts, stops and seals recordings; `CallRecordings` (one per
call, owned by its `CallSession`) holds the recordings of that call.

- Calls of a recorded flow (`settings.calls.recorded_flows`, e.g. the emergency line) are
  recorded from the moment they enter it (from answer for calls to its number): the caller is
  put in a mixing bridge of their own and the *bridge* is recorded, so once an agent joins that
  bridge both parties are in one file, continuing until the call ends
  (docs/asterisk-behaviour.md, "Recording": prompts played to a channel never reach a bridge
  recording, and a bridge recording may end early and silently).
- Voice messages and voice-order captures (`record` nodes) record the caller's channel.
- Each recording is opened in the index before ARI starts it (its name comes from the index),
  and sealed (sha256, size, duration) when it closes: the file is fetched over ARI
  (`GET /recordings/stored/{name}/file`, which works whether or not Asterisk's spool is on this
  disk) into the index's incoming folder and moved into the dated layout.
- A recording that fails to start or to seal is logged at ERROR with its name: the call goes on
  (a caller is never dropped for it) and `ivr recordings orphans` reports the gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from ivr.ari import AriError, AriNotFound, AriRest, ChannelId
from recordings import RecordingIndex, RecordingsError

log = logging.getLogger(__name__)

FETCH_ATTEMPTS = 20
FETCH_PAUSE_S = 0.1


class RecordingKeeper:
    """Starts, stops and seals the recordings of calls (one per app)."""

    def __init__(self, index: RecordingIndex, rest: AriRest) -> None:
        self.index = index
        self._rest = rest

    async def record_bridge(
        self, call_id: str, bridge_id: str, purpose: str, account: str | None = None
    ) -> str | None:
        """Open a recording of `bridge_id` and start it; its name, or None if it failed."""
        try:
            rec = await self.index.open_recording(
                call_id, purpose, source="bridge", source_id=bridge_id, account=account
            )
            await self._rest.record_bridge(bridge_id, rec.name, format="wav", if_exists="fail")
        except (AriError, RecordingsError) as exc:
            log.error("recording of bridge %s (%s) did not start: %s", bridge_id, purpose, exc)
            return None
        log.info("recording started name=%s purpose=%s", rec.name, purpose)
        return rec.name

    async def open_channel_recording(self, call_id: str, channel_id: str, purpose: str) -> str:
        """Index a channel recording about to start (a `record` node); its ARI name."""
        rec = await self.index.open_recording(
            call_id, purpose, source="channel", source_id=channel_id
        )
        return rec.name

    async def stop(self, name: str) -> None:
        try:
            await self._rest.stop_recording(name)
        except AriError as exc:  # already finished (e.g. the bridge went away)
            log.debug("stop recording %s: %s", name, exc)

    async def seal(self, name: str) -> bool:
        """Fetch the finished file over ARI and seal it in the index; False if it failed."""
        target = self.index.storage.incoming / f"{name}.wav"
        try:
            data = await self._fetch(name)
            await asyncio.to_thread(_write, target, data)
            rec = await self.index.seal(name, target)
        except (AriError, RecordingsError, OSError) as exc:
            log.error("recording %s not sealed: %s", name, exc)
            return False
        log.info("recording sealed name=%s bytes=%d sha256=%s", name, rec.size_bytes, rec.sha256)
        return True

    async def _fetch(self, name: str) -> bytes:
        """The stored file; Asterisk may still be closing it right after the stop."""
        for attempt in range(FETCH_ATTEMPTS):
            try:
                return await self._rest.get_stored_recording_file(name)
            except AriError:
                if attempt == FETCH_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(FETCH_PAUSE_S)
        raise AssertionError("unreachable")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class CallRecordings:
    """The recordings of one call: its whole-call bridge recording (a recorded flow) and the
    channel recordings of its `record` nodes, each sealed in the background as it ends."""

    def __init__(
        self,
        keeper: RecordingKeeper | None,
        rest: AriRest,
        bind: Callable[[str, str], None],
        *,
        key: str,
        call_id: str,
        channel_id: ChannelId,
    ) -> None:
        self._keeper, self._rest, self._bind = keeper, rest, bind
        self._key, self._call_id, self._channel_id = key, call_id, channel_id
        self.bridge_id: str | None = None  # the caller's recorded bridge, once recording
        self.call_recording: str | None = None  # the bridge recording ("" once attempted)
        self._channel: dict[str, str] = {}  # ARI recording name -> engine recording name
        self._seals: set[asyncio.Task[None]] = set()

    @property
    def sealing(self) -> int:
        """Seals still running (a call's clean-up waits for them)."""
        return len(self._seals)

    def owns(self, ari_name: str) -> bool:
        return ari_name in self._channel

    async def record_call(self, purpose: str) -> None:
        """Put the caller in a bridge of their own and record the bridge: an agent joining
        later is in the same file. Tried once per call; without a keeper, nothing."""
        if self._keeper is None:
            return
        self.call_recording = ""  # attempted: never twice
        bridge_id = f"call-{self._key}"
        try:
            await self._rest.create_bridge("mixing", bridge_id=bridge_id)
            self._bind(bridge_id, self._key)
            await self._rest.add_channel(bridge_id, self._channel_id)
        except AriError as exc:
            log.error("no recording bridge for the call: %s", exc)
            return
        self.bridge_id = bridge_id
        name = await self._keeper.record_bridge(self._call_id, bridge_id, purpose)
        self.call_recording = name or ""

    async def open(self, name: str, purpose: str) -> str:
        """Index the channel recording of engine recording `name`; the ARI name to record."""
        ari_name = f"{self._call_id}-{name}"
        if self._keeper is not None:
            try:
                ari_name = await self._keeper.open_channel_recording(
                    self._call_id, self._channel_id, purpose
                )
            except RecordingsError as exc:  # still take the message; report the gap
                log.error("recording purpose=%s not indexed: %s", purpose, exc)
        self._channel[ari_name] = name
        return ari_name

    def finished(self, ari_name: str) -> str:
        """A channel recording ended: seal it in the background; its engine name."""
        if self._keeper is not None:
            task = asyncio.create_task(self._seal(self._keeper, ari_name), name=f"seal-{ari_name}")
            self._seals.add(task)
            task.add_done_callback(self._seals.discard)
        return self._channel.pop(ari_name)

    async def _seal(self, keeper: RecordingKeeper, ari_name: str) -> None:
        await keeper.seal(ari_name)  # a failure is logged there

    def failed(self, ari_name: str) -> str:
        """A channel recording failed; its engine name."""
        return self._channel.pop(ari_name)

    async def stop(self, name: str) -> None:
        """Stop the channel recording of engine recording `name` (already ended: nothing)."""
        for ari_name, engine_name in list(self._channel.items()):
            if engine_name == name:
                with contextlib.suppress(AriNotFound):
                    await self._rest.stop_recording(ari_name)

    async def stop_channel_recordings(self) -> None:
        for ari_name in list(self._channel):
            with contextlib.suppress(AriError):
                await self._rest.stop_recording(ari_name)

    async def finish(self) -> None:
        """Stop and seal the call recording, take the bridge down, wait for every seal."""
        keeper, name = self._keeper, self.call_recording
        if keeper is not None and name:
            self.call_recording = ""
            await keeper.stop(name)
            await keeper.seal(name)
        if self.bridge_id is not None:
            bridge, self.bridge_id = self.bridge_id, None
            with contextlib.suppress(AriError):
                await self._rest.destroy_bridge(bridge)
        if self._seals:
            await asyncio.wait(set(self._seals))


__all__ = ["CallRecordings", "RecordingKeeper"]
