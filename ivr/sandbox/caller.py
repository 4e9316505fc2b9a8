"""A scenario call: the scripted caller dialling into the sandbox switch, and its transcript.

Role: `ScenarioCall` runs a `Scenario`'s steps against the switch as the far end of a dialplan
call (press -> ChannelDtmfReceived, speak -> real audio frames into any snoop/external media,
hangup -> the dialplan hangup sequence) and keeps the caller's `Transcript`: what it heard
(prompts played to completion or stopped, with switch times), what it pressed and said, and
how the call ended. The switch tells the call what happens to its channel (it is the
switch's `CallObserver`).

Rules: all times are switch seconds. Steps follow a planned schedule that starts when the
call was placed (or at its planned `start_s`), each step when the previous one was due to end
(`wait_for` re-bases it on the moment waited for), so a late event loop never makes a script
drift, and what the caller does is stamped with its planned time (speech goes into the
switch's media timeline at its planned slots). The call ends when the caller hangs up,
when the app hangs up or continues the channel, or after `max_duration_s`; `finished()` never
waits forever. The switch is reached through the `Switch` protocol (no import of the switch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ivr.sandbox import audio
from ivr.sandbox.config import SandboxConfig, SandboxError, SwitchClock
from ivr.sandbox.extmedia import MediaRouter
from ivr.sandbox.model import Channel, ChannelId
from ivr.sandbox.scenario import Hangup, Press, Scenario, Speak, Step, Wait, WaitFor

log = logging.getLogger(__name__)

Json = dict[str, Any]


class Switch(Protocol):
    """What a scenario call needs from the switch it dials into."""

    @property
    def clock(self) -> SwitchClock: ...
    @property
    def config(self) -> SandboxConfig: ...
    @property
    def channels(self) -> dict[ChannelId, Channel]: ...
    @property
    def router(self) -> MediaRouter: ...
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]: ...
    def scripted(self, at_s: float) -> contextlib.AbstractContextManager[None]: ...
    def hangup_channel(self, channel: Channel, *, cause: int, soft: bool, by: str) -> None: ...
    def press(self, channel: Channel, digit: str, at_s: float | None = None) -> None: ...


# ---- transcript --------------------------------------------------------------------------


@dataclass(slots=True)
class HeardPrompt:
    media_uri: str
    start_s: float
    end_s: float | None = None
    outcome: str = "playing"  # done | stopped | failed | playing


@dataclass(slots=True)
class Transcript:
    call_id: str
    channel_id: str
    dialed: str
    caller: str
    language: str
    started_s: float
    answered_s: float | None = None
    ended_s: float | None = None
    ended_by: str | None = None  # caller | app | dialplan | switch | timeout
    cause: int | None = None
    outcome: str = "in progress"
    prompts: list[HeardPrompt] = field(default_factory=list)
    pressed: list[Json] = field(default_factory=list)
    said: list[Json] = field(default_factory=list)
    dtmf_sent: list[Json] = field(default_factory=list)
    events: list[Json] = field(default_factory=list)

    @property
    def heard(self) -> list[str]:
        """Media URIs the caller heard to completion or until stopped, in order."""
        return [p.media_uri for p in self.prompts if p.outcome in ("done", "stopped")]

    @property
    def finished(self) -> bool:
        return self.ended_s is not None

    def to_dict(self) -> Json:
        data = asdict(self)
        data["heard"] = self.heard
        data["finished"] = self.finished
        return data


def _load_frames(path: Path) -> list[audio.AudioFrame]:
    return audio.frames_of(path.read_bytes())


# ---- the running call --------------------------------------------------------------------


class ScenarioCall:
    """One scenario call: runs its steps as the caller and records the transcript."""

    def __init__(
        self,
        switch: Switch,
        scenario: Scenario,
        channel_id: str,
        *,
        start_s: float | None = None,
    ) -> None:
        self.switch = switch
        self.scenario = scenario
        self.channel_id = channel_id
        self.call_id = channel_id
        self.transcript = Transcript(
            call_id=channel_id,
            channel_id=channel_id,
            dialed=scenario.dialed,
            caller=scenario.caller,
            language=scenario.language,
            started_s=switch.clock.now_s() if start_s is None else start_s,
        )
        self._done = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None
        self._prompts_ended = 0
        self._prompts_started = 0
        self._frames: dict[Path, list[audio.AudioFrame]] = {}
        self._plan_s = 0.0  # when the next step is due (switch time)

    def start(self) -> None:
        self._task = self.switch.spawn(self._run(), name=f"scenario-{self.call_id}")

    async def finished(self, timeout_s: float = 30.0) -> Transcript:
        """Wait (real seconds) until the call has ended; return the caller's transcript."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._done.wait()
        except TimeoutError:
            raise SandboxError(
                f"scenario call {self.call_id} still running after {timeout_s} s "
                f"(heard so far: {self.transcript.heard})"
            ) from None
        return self.transcript

    @property
    def done(self) -> bool:
        return self._done.is_set()

    # -- steps --

    async def _run(self) -> None:
        speak_paths = {s.path for s in self.scenario.steps if isinstance(s, Speak)}
        for path in speak_paths:  # decode before the call runs: speaking must not lag
            self._frames[path] = await asyncio.to_thread(_load_frames, path)
        # the schedule starts with the call, not when this task got to run (nor after the
        # decoding, which a loaded machine makes slow)
        self._plan_s = self.transcript.started_s
        for step in self.scenario.steps:
            if self.done:
                return
            await self._step(step)
        if self.done:
            return
        remaining_s = (
            self.scenario.max_duration_s - self.switch.clock.now_s() + self.transcript.started_s
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.switch.clock.wall_s(remaining_s)):
                await self._done.wait()
                return
        log.info("sandbox scenario call timed out call=%s", self.call_id)
        self._caller_hangup(by="timeout")

    async def _step(self, step: Step) -> None:
        match step:
            case Wait(seconds):
                self._plan_s += seconds
                await self.switch.clock.sleep(self._plan_s - self.switch.clock.now_s())
            case Press(digits):
                await self._press(digits)
            case Speak(path):
                await self._speak(path)
            case WaitFor(what, timeout_s):
                await self._wait_for(what, timeout_s)
            case Hangup():
                self._caller_hangup(by="caller")

    async def _press(self, digits: str) -> None:
        cfg, clock = self.switch.config, self.switch.clock
        start_s = self._plan_s
        self.transcript.pressed.append({"digits": digits, "at_s": start_s})
        tone_s, gap_s = cfg.dtmf_duration_ms / 1000, cfg.dtmf_gap_ms / 1000
        for i, digit in enumerate(digits):  # absolute schedule: loop lag does not accumulate
            at_s = start_s + i * (tone_s + gap_s) + tone_s
            await clock.sleep(at_s - clock.now_s())
            channel = self.switch.channels.get(ChannelId(self.channel_id))
            if channel is None or self.done:
                return
            with self.switch.scripted(at_s):
                self.switch.press(channel, digit, at_s)
        self._plan_s = start_s + len(digits) * (tone_s + gap_s)
        await clock.sleep(self._plan_s - clock.now_s())

    async def say(self, path: Path) -> None:
        """The caller says `path` now (a test driving the call step by step); returns when
        it is said."""
        if path not in self._frames:
            self._frames[path] = await asyncio.to_thread(_load_frames, path)
        self._plan_s = max(self._plan_s, self.switch.clock.now_s())
        await self._speak(path)

    async def _speak(self, path: Path) -> None:
        channel = self.switch.channels.get(ChannelId(self.channel_id))
        if channel is None:
            return
        frames = self._frames[path]
        entry: Json = {"file": str(path), "start_s": self._plan_s, "end_s": None}
        self.transcript.said.append(entry)
        await self.switch.router.stream(channel, frames, self._plan_s)
        self._plan_s += len(frames) * audio.FRAME_S
        entry["end_s"] = self._plan_s

    async def _wait_for(self, what: str, timeout_s: float) -> None:
        ended, started = self._prompts_ended, self._prompts_started

        def reached() -> bool:
            if what == "answer":
                return self.transcript.answered_s is not None
            if what == "prompt_start":
                return self._prompts_started > started
            return self._prompts_ended > ended and self._prompts_started == self._prompts_ended

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.switch.clock.wall_s(timeout_s)):
                while not reached() and not self.done:
                    self._changed.clear()
                    await self._changed.wait()
        answered_s = self.transcript.answered_s
        if what == "answer" and answered_s is not None:
            self._plan_s = max(self._plan_s, answered_s)
        else:
            self._plan_s = max(self._plan_s, self.switch.clock.now_s())

    def _caller_hangup(self, *, by: str) -> None:
        channel = self.switch.channels.get(ChannelId(self.channel_id))
        if channel is None:
            self.end(by, 16)
            return
        if by == "caller":
            with self.switch.scripted(self._plan_s):
                self.switch.hangup_channel(channel, cause=16, soft=False, by=by)
        else:
            self.switch.hangup_channel(channel, cause=16, soft=False, by=by)

    # -- callbacks from the switch --

    def on_event(self, event: Json) -> None:
        """An ARI event about the caller's channel (delivered to the app or not)."""
        if not self.done:
            self.transcript.events.append(event)

    def on_answer(self) -> None:
        self.transcript.answered_s = self.switch.clock.now_s()
        self._changed.set()

    def heard_start(self, media_uri: str, at_s: float) -> None:
        self.transcript.prompts.append(HeardPrompt(media_uri, at_s))
        if not media_uri.startswith("moh:"):
            self._prompts_started += 1
        self._changed.set()

    def heard_end(self, media_uri: str, at_s: float, outcome: str) -> None:
        for prompt in reversed(self.transcript.prompts):
            if prompt.media_uri == media_uri and prompt.end_s is None:
                prompt.end_s, prompt.outcome = at_s, outcome
                break
        if not media_uri.startswith("moh:"):
            self._prompts_ended += 1
        self._changed.set()

    def note_dtmf_sent(self, digits: str, at_s: float) -> None:
        self.transcript.dtmf_sent.append({"digits": digits, "at_s": at_s})

    def end(self, by: str, cause: int, *, outcome: str | None = None) -> None:
        if self.done:
            return
        t = self.transcript
        t.ended_s, t.ended_by, t.cause = self.switch.clock.now_s(), by, cause
        t.outcome = outcome or {
            "caller": "caller hung up",
            "app": "app hung up",
            "dialplan": "continued in dialplan",
            "timeout": "caller gave up (max_duration_s)",
        }.get(by, f"ended by {by}")
        self._done.set()
        self._changed.set()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        log.info("sandbox scenario call ended call=%s by=%s cause=%s", self.call_id, by, cause)
