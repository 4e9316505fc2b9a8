"""Compliant recording of calls over ARI, indexed and sealed in `recordings`.

`RecordingKeeper` (one per app) starts, stops and seals recordings; `CallRecordings` (one per
call, owned by its `CallSession`) holds the recordings of that call.

- Calls of a recorded flow (`settings.calls.recorded_flows`, e.g. the emergency line) are
  recorded from the moment they enter it (from answer for calls to its number) to hang-up,
  through a snoop on the caller, in watched parts: `ivr.call.evidence.WholeCallRecording`.
- Voice messages and voice-order captures (`record` nodes) record the caller's channel.
- Each recording is opened in the index before ARI starts it (its name comes from the index),
  and sealed (sha256, size, duration) when it closes: the file is fetched over ARI
  (`GET /recordings/stored/{name}/file`, which works whether or not Asterisk's spool is on this
  disk) into the index's incoming folder and moved into the dated layout.
- A recording that fails to start or to seal is logged at ERROR with its name: the call goes on
  (a caller is never dropped for it) and `ivr recordings orphans` reports the gap.
- A call adopted after an app crash: `leftovers` finds what the dead process left (`seal_left`
  stops and seals the open ones, in the background), and its whole-call recording goes on with
  the next part (`ivr.call.adoption`).
- The index writes (open, seal, close of the span) are tried again on a passing database fault
  (SQLite busy past its timeout, a lost connection), `INDEX_PAUSES_S` apart, before they count
  as failed: a burst of writes must not leave evidence unindexed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from ivr import ari
from ivr.ari import AriError, AriNotFound, AriRest, ChannelId
from ivr.call.evidence import Alert, Counter, WholeCallRecording
from ivr.store.engine import is_outage, short_error
from recordings import RecordingIndex, RecordingsError, RecordingStatus, Source
from recordings.naming import parse_name, recording_name

log = logging.getLogger(__name__)

FETCH_ATTEMPTS = 20
FETCH_PAUSE_S = 0.1
INDEX_PAUSES_S = (0.2, 1.0, 3.0)  # between tries of an index write on a passing database fault

T = TypeVar("T")


async def with_retries(
    write: Callable[[], Awaitable[T]], what: str, pauses: tuple[float, ...] = INDEX_PAUSES_S
) -> T:
    """`write()`, tried again after each pause while it fails with a passing database fault."""
    for pause in pauses:
        try:
            return await write()
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("%s: %s; trying again in %g s", what, short_error(exc), pause)
        await asyncio.sleep(pause)
    return await write()


@dataclass(frozen=True, slots=True)
class Leftovers:
    """The recordings of an adopted or reclaimed call that its dead process left."""

    last_part: int  # the number of the last whole-call part (0: none)
    covers_from: datetime | None  # the start of that recording's span
    still_open: tuple[str, ...]  # names of recordings never sealed


class RecordingKeeper:
    """Starts, stops and seals the recordings of calls (one per app)."""

    def __init__(self, index: RecordingIndex, rest: AriRest) -> None:
        self.index = index
        self._rest = rest

    def part_name(self, call_id: str, purpose: str, number: int) -> str:
        return recording_name(call_id, purpose, number)

    async def open_part(
        self, call_id: str, purpose: str, number: int, snoop_id: str, covers_from: datetime
    ) -> bool:
        """Index part `number` of a call recording (a snoop); False if it failed (logged)."""
        try:
            await with_retries(
                lambda: self.index.open_recording(
                    call_id, purpose, source=Source.SNOOP, source_id=snoop_id,
                    covers_from=covers_from, number=number,
                ),
                f"indexing call recording part {number} ({purpose})",
            )  # fmt: skip
        except Exception:  # SQL down, bad purpose...: the caller is never dropped for it
            log.exception("call recording part %d (%s) not indexed", number, purpose)
            return False
        return True

    async def close_span(self, call_id: str, purpose: str, ended_at: datetime) -> None:
        try:
            await with_retries(
                lambda: self.index.close_span(call_id, purpose, ended_at),
                f"closing the call recording span ({purpose})",
            )
        except Exception:
            log.exception("call recording span (%s) not closed", purpose)

    async def open_channel_recording(self, call_id: str, channel_id: str, purpose: str) -> str:
        """Index a channel recording about to start (a `record` node); its ARI name."""
        rec = await with_retries(
            lambda: self.index.open_recording(
                call_id, purpose, source="channel", source_id=channel_id
            ),
            f"indexing a {purpose} recording",
        )
        return rec.name

    async def leftovers(self, call_id: str, purpose: str | None) -> Leftovers:
        """What a dead process left of call `call_id`: the number of the last whole-call part
        of `purpose`, its span's start, and the recordings still open (to `seal_left`)."""
        try:
            found = await with_retries(
                lambda: self.index.search(call_id=call_id, limit=1000),
                f"finding the recordings of call {call_id}",
            )
        except Exception as exc:  # SQL down: the new process starts a new span
            log.error("recordings of call %s not found: %s", call_id, short_error(exc))
            return Leftovers(0, None, ())
        last, covers_from = 0, None
        for rec in sorted(found, key=lambda r: r.name):
            parsed = parse_name(rec.name)
            if purpose is not None and parsed is not None and parsed[1] == purpose:
                last, covers_from = max(last, parsed[2]), covers_from or rec.covers_from
        still_open = tuple(r.name for r in found if r.status is RecordingStatus.RECORDING)
        return Leftovers(last, covers_from, still_open)

    async def seal_left(self, names: tuple[str, ...]) -> None:
        """Stop (if still running) and seal each recording a dead process left open; a failure
        is logged (`ivr recordings orphans` shows it)."""
        for name in names:
            await self.stop(name)
            await self.seal(name)

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
            rec = await with_retries(
                lambda: self.index.seal(name, target), f"sealing recording {name}"
            )
        except (AriError, RecordingsError, OSError) as exc:
            log.error("recording %s not sealed: %s", name, exc)
            return False
        except Exception:  # SQL down: `ivr recordings pick-up` seals it later
            log.exception("recording %s not sealed", name)
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
    """The recordings of one call: its whole-call recording (a recorded flow) and the channel
    recordings of its `record` nodes, each sealed in the background as it ends."""

    def __init__(
        self,
        keeper: RecordingKeeper | None,
        rest: AriRest,
        bind: Callable[[str, str], None],
        *,
        key: str,
        call_id: str,
        channel_id: ChannelId,
        app_name: str = "",
        now: Callable[[], float] | None = None,
        alert: Alert | None = None,
        incident: Counter | None = None,
    ) -> None:
        self._keeper, self._rest, self._bind = keeper, rest, bind
        self._key, self._call_id, self._channel_id = key, call_id, channel_id
        self._app, self._now, self._alert, self._incident = app_name, now, alert, incident
        self.whole: WholeCallRecording | None = None  # the recorded flow's call recording
        self.earlier: tuple[int, datetime | None] = (0, None)  # adopted: parts before, span
        self._channel: dict[str, str] = {}  # ARI recording name -> engine recording name
        self._seals: set[asyncio.Task[None]] = set()

    @property
    def sealing(self) -> int:
        """Seals still running (a call's clean-up waits for them)."""
        return len(self._seals)

    @property
    def recording_channel(self) -> bool:
        """A `record` node's channel recording is running."""
        return bool(self._channel)

    def owns(self, ari_name: str) -> bool:
        return ari_name in self._channel

    @property
    def recording_call(self) -> bool:
        """The whole-call recording was started (or tried: never twice)."""
        return self.whole is not None

    async def record_call(self, purpose: str) -> None:
        """Record the whole call from now to hang-up (snoop, watched parts: `evidence`).
        Tried once per call; without a keeper, nothing."""
        if self._keeper is None or self.whole is not None or self._now is None:
            return
        self.whole = WholeCallRecording(
            self._keeper, self._rest, self._bind, key=self._key, call_id=self._call_id,
            channel_id=self._channel_id, app_name=self._app, purpose=purpose, now=self._now,
            alert=self._alert, incident=self._incident,
        )  # fmt: skip
        self.whole.resume(*self.earlier)
        await self.whole.start()

    def on_event(self, event: ari.AriEvent) -> bool:
        """Events of the whole-call recording (its snoop, its parts); True if taken."""
        return self.whole is not None and self.whole.on_event(event)

    def caller_gone(self) -> None:
        if self.whole is not None:
            self.whole.caller_gone()

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
            except Exception as exc:  # SQL down or broken: never drop the caller for it
                log.error("recording purpose=%s not indexed: %s", purpose, short_error(exc))
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
        """Stop and seal the call recording and close its span; wait for every seal."""
        if self.whole is not None:
            await self.whole.finish()
        if self._seals:
            await asyncio.wait(set(self._seals))


__all__ = ["CallRecordings", "RecordingKeeper"]
