"""Compliant recording of calls over ARI, indexed and sealed in `recordings`.

- Emergency calls are recorded from the moment they enter the emergency line (from answer for
  calls to its number): the caller is put in a mixing bridge of their own and the *bridge* is
  recorded, so once an agent joins that bridge both parties are in one file (ARI-NOTES:
  record a bridge to keep both parties), continuing until the call ends.
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
import logging
from pathlib import Path

from ivr.ari import AriError, AriRest
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


__all__ = ["RecordingKeeper"]
