"""The whole-call recording of a recorded flow: a snoop on the caller, recorded in watched parts.

Why a snoop (docs/asterisk-behaviour.md, "Recording"): a prompt played to the caller's channel
never reaches a bridge recording, and a bridge recording that gets no frame for 4 s ends by
itself with an ordinary `RecordingFinished`. A snoop channel on the caller with `spy=both`
carries everything the caller hears (channel and bridge prompts, the agent) and says, through
bridges, holds and transfers; recording the snoop gives one continuous file, silence included.

Lifecycle (one `WholeCallRecording` per recorded call, owned by its `CallRecordings`):
- `start()`: the span starts now (`covers_from`, clock time). The snoop is created with an id
  bound to the call beforehand (its StasisStart and StasisEnd reach this call's lane, never a
  new call); once it is in the app (its StasisStart, or a bounded wait) part 1 is recorded.
  Each part (`<call>-<purpose>-<n>`) is indexed beside those ARI requests, not before them: a
  gap in the evidence is measured in milliseconds. The caller waits for part 1: the recording
  notice and the read-backs are evidence too.
- The watchdog: a part that finishes (or fails) while the call is up, or a snoop that leaves
  the app while the caller is still there, is an incident: the next part (`-2`, `-3`, ...; a
  new snoop if the old one is gone) starts at once, a supervisor alert `recording_gap` is
  raised, `ivr_recording_incidents_total` counts it, and then the ended part is sealed.
- An adopted call (`resume`): the parts the dead process left are sealed by the adoption;
  numbering goes on after them (`-3` after `-1`, `-2`) and the span keeps its start.
- `finish()`: stop the current part, seal every part, close the span (`covers_to`: when the
  caller went, `caller_gone()`, else now) of all parts in the index, hang up the snoop.
  `ivr recordings verify|coverage` compare what the parts hold with that span.
- Nothing here ever drops the caller: a failure is logged at ERROR (with the recording name),
  alerted, and shows in `ivr recordings coverage`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from ivr import ari
from ivr.ari import AriError, AriRest, ChannelId
from ivr.errors import IvrError

log = logging.getLogger(__name__)

SNOOP_READY_S = 2.0  # wall seconds to wait for the snoop's StasisStart before recording anyway

Alert = Callable[[str, Mapping[str, str]], Awaitable[None]]
Counter = Callable[[str], None]


class EvidenceKeeper(Protocol):
    """What the whole-call recording needs of the app (`RecordingKeeper` provides it)."""

    def part_name(self, call_id: str, purpose: str, number: int) -> str: ...

    async def open_part(
        self, call_id: str, purpose: str, number: int, snoop_id: str, covers_from: datetime
    ) -> bool: ...  # False: not indexed (logged)

    async def stop(self, name: str) -> None: ...

    async def seal(self, name: str) -> bool: ...

    async def close_span(self, call_id: str, purpose: str, ended_at: datetime) -> None: ...


class WholeCallRecording:
    """The snoop recording of one call, in parts, with its watchdog."""

    def __init__(
        self,
        keeper: EvidenceKeeper,
        rest: AriRest,
        bind: Callable[[str, str], None],
        *,
        key: str,
        call_id: str,
        channel_id: ChannelId,
        app_name: str,
        purpose: str,
        now: Callable[[], float],
        alert: Alert | None = None,
        incident: Counter | None = None,
    ) -> None:
        self._keeper, self._rest, self._bind = keeper, rest, bind
        self._key, self._call_id, self._channel = key, call_id, channel_id
        self._app, self.purpose, self._now = app_name, purpose, now
        self._alert, self._incident = alert, incident
        self.covers_from: datetime | None = None
        self.parts: list[str] = []  # every part's name, in order
        self.earlier = 0  # parts a dead process recorded of this call (adopted: `resume`)
        self.current: str | None = None  # the part recording now
        self._snoop: str | None = None
        self._snoops = 0
        self._snoop_up = asyncio.Event()
        self._closing = False
        self._caller_gone = False
        self._gone_s: float | None = None  # when the caller went (clock seconds)
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ events of the call

    def caller_gone(self) -> None:
        """The caller hung up (or the app hangs up): a part ending from now on is the call
        ending, not an incident, and the span the parts had to cover ends now, not when the
        call's clean-up gets to `finish`."""
        if not self._caller_gone:
            self._gone_s = self._now()
        self._caller_gone = True

    def on_event(self, event: ari.AriEvent) -> bool:
        """Take the events of the snoop and of the parts; True if the event was ours."""
        match event:
            case ari.StasisStart(channel=ch) if ch.id == self._snoop:
                self._snoop_up.set()
                return True
            case ari.StasisEnd(channel=ch) | ari.ChannelDestroyed(channel=ch) if (
                ch.id == self._snoop
            ):
                self._snoop = None
                self._watch("snoop_ended")
                return True
            case ari.RecordingFinished(recording=rec) if rec.name == self.current:
                self.current = None
                self._part_ended(rec.name, "ended_early")
                return True
            case ari.RecordingFailed(recording=rec) if rec.name == self.current:
                self.current = None
                self._part_ended(rec.name, "failed")
                return True
            case ari.RecordingFinished(recording=rec) | ari.RecordingFailed(recording=rec) if (
                rec.name in self.parts
            ):
                return True
        return False

    # ------------------------------------------------------------------ start, watch, finish

    def resume(self, earlier: int, covers_from: datetime | None) -> None:
        """An adopted call: `earlier` parts exist (sealed by the adoption); the next part is
        number `earlier + 1`, over the span the first part started."""
        self.earlier, self.covers_from = earlier, covers_from

    async def start(self) -> None:
        """Span from now (or the resumed span); snoop and the next part. Never raises: a
        failure is logged and alerted."""
        if self.covers_from is None:
            self.covers_from = datetime.fromtimestamp(self._now(), UTC)
        await self._next_part("start")

    def _watch(self, why: str) -> None:
        if self._closing or self._caller_gone:
            return
        self._spawn(self._incident_of(why))

    def _part_ended(self, name: str, why: str) -> None:
        """Part `name` ended: the call's end, or an incident (then sealed after the next part
        started: fetching a long file must not delay the next part)."""
        if self._closing or self._caller_gone:
            self._spawn(self._seal(name))
        else:
            self._spawn(self._incident_of(why, ended=name))

    async def _incident_of(self, why: str, ended: str | None = None) -> None:
        name = ended or (self.parts[-1] if self.parts else "")
        log.error("call recording %s while the call is up (%s): starting the next part", why, name)
        if self._incident is not None:
            self._incident(why)
        if self.current is None:
            await self._next_part(why)
        if self._alert is not None:
            fields = {"reason": why, "recording": name, "call_id": self._call_id}
            fields["purpose"] = self.purpose
            try:
                await self._alert("recording_gap", fields)
            except IvrError as exc:  # the next part runs; the alert is best effort
                log.error("recording gap alert not posted: %s", exc)
        if ended is not None:
            await self._seal(ended)

    async def _next_part(self, why: str) -> None:
        if self._closing or self._caller_gone or self.covers_from is None:
            return
        snoop = self._snoop or self._plan_snoop()
        number = self.earlier + len(self.parts) + 1
        name = self._keeper.part_name(self._call_id, self.purpose, number)
        index = asyncio.ensure_future(
            self._keeper.open_part(self._call_id, self.purpose, number, snoop, self.covers_from)
        )  # beside ARI, not before it: a gap in the evidence is measured in milliseconds
        try:
            if self._snoop is None:
                await self._new_snoop(snoop)
            await self._rest.record(ChannelId(snoop), name, format="wav", if_exists="fail")
        except AriError as exc:
            await index
            log.error("call recording %s did not start (%s): %s", name, why, exc)
            self.parts.append(name)  # indexed: `ivr recordings orphans` shows the gap
            if why == "start" and self._alert is not None:
                with contextlib.suppress(IvrError):
                    await self._alert("recording_gap", {"reason": "not_started", "recording": name})
            return
        self.parts.append(name)
        self.current = name
        log.info("call recording part=%s snoop=%s (%s)", name, snoop, why)
        await index  # the seal needs the row; a failure was logged (orphans/pick-up report it)

    def _plan_snoop(self) -> str:
        self._snoops += 1
        return f"{self._key}-rec{self.earlier + self._snoops}"  # never a dead process's id

    async def _new_snoop(self, snoop: str) -> None:
        self._bind(snoop, self._key)  # before creation: its StasisStart is this call's
        self._snoop_up.clear()
        self._snoop = snoop
        await self._rest.snoop(
            self._channel, app=self._app, spy="both", app_args=f"snoop,{self._key}", snoop_id=snoop
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SNOOP_READY_S):
                await self._snoop_up.wait()

    async def finish(self) -> None:
        """The call ended: stop the current part, seal every part, close the span."""
        self._closing = True
        gone_s = self._now() if self._gone_s is None else self._gone_s
        ended_at = datetime.fromtimestamp(gone_s, UTC)
        name, self.current = self.current, None
        if name is not None:
            await self._keeper.stop(name)
            await self._seal(name)
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        if self.parts:
            await self._keeper.close_span(self._call_id, self.purpose, ended_at)
        snoop, self._snoop = self._snoop, None
        if snoop is not None:
            with contextlib.suppress(AriError):
                await self._rest.hangup(ChannelId(snoop))

    async def _seal(self, name: str) -> None:
        await self._keeper.seal(name)  # a failure is logged there

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


__all__ = ["EvidenceKeeper", "WholeCallRecording"]
