"""Settings of the sandbox switch, its errors, and the switch clock.

Role: `SandboxConfig` (frozen) is built once by the caller (tests, `ivr serve`) and passed to
`SandboxSwitch`; `EndpointBehavior` says how a simulated agent phone answers. `SwitchClock`
turns wall time into *switch time* with a speed factor: at `speed=50` a 2 s prompt ends after
40 ms of wall time, and every duration the switch reports (events, transcripts) is switch time.

Rules: nothing here reads the environment; secrets are `repr=False`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ivr.errors import IvrError, LocatedError


class SandboxError(IvrError):
    """A misuse of the sandbox switch (bad configuration, unknown call id, ...)."""


class AriErrorReply(IvrError):
    """An ARI error response: status and Asterisk's `message` (None: bare body)."""

    def __init__(self, status: int, message: str | None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


class ScenarioError(LocatedError):
    """A scenario file that cannot be run: `path:line:col: what is wrong`."""


@dataclass(frozen=True, slots=True)
class EndpointBehavior:
    """How a simulated endpoint (agent phone) answers a dial or originate.

    `answer_after_s`: answers after this many switch seconds; `never_answer`: rings until the
    dial timeout (Dial NOANSWER, cause 19); `busy`: Dial BUSY at once (cause 17);
    `speak`: a WAV the endpoint streams once answered (so bridge recordings hold both parties);
    `hangup_after_s`: the far end hangs up this long after answering (a `Local/...` endpoint:
    after its `Answer()`, which takes 0.5 s, as `Wait(N)` then `Hangup()`); `talk_s`: a phone
    whose person hangs up this long after the app first bridges it (talking to the caller,
    however long the bridging took); `fail_cause`: the
    dial fails at once (Dial CONGESTION/CHANUNAVAIL, that cause); `press`: once answered, the
    far end presses that digit every `press_every_s` (outside numbers: `numberplan`).
    A phone (`PJSIP/...`) streams steady silent frames while answered; a Local channel sends
    only what it says.
    """

    answer_after_s: float = 0.0
    never_answer: bool = False
    busy: bool = False
    speak: Path | None = None
    hangup_after_s: float | None = None
    talk_s: float | None = None  # a person: hangs up this long after first joining a bridge
    fail_cause: int | None = None  # the dial fails at once with this Q.850 cause (34, 1, ...)
    press: str | None = None  # once answered, the far end presses this digit ...
    press_every_s: float = 4.0  # ... every this many switch seconds until the call ends


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0
    username: str = "asterisk"
    password: str = field(default="asterisk", repr=False)
    speed: float = 1.0
    sounds_dir: Path | None = None
    recordings_dir: Path | None = None
    # The dialplan of scenario calls: `exten => _X.,n,Stasis(<stasis_app>)` in `inbound_context`.
    stasis_app: str = "futures-ivr"
    # Several app instances (config/asterisk/extensions.conf splits calls by app name): calls go
    # to these in turn, and to the next connected one when the chosen app is not connected
    # (`Stasis()` fails at once for an app without a websocket; the dialplan tries the next).
    stasis_apps: tuple[str, ...] = ()
    inbound_context: str = "ivr-in"
    endpoints: dict[str, EndpointBehavior] = field(default_factory=dict)
    asterisk_id: str = "02:fc:00:00:00:01"
    version: str = "22.10.1"
    language: str = "en"
    # Asterisk ignores unknown parameters; strict mode answers 400 so client typos show up.
    strict_params: bool = True
    # res_http_media_cache in 22.10.1 fails URLs shorter than its local cache path.
    http_media_min_url_len: int = 36
    http_fetch_timeout_s: float = 5.0
    # Unconnected chan_websocket channels are destroyed after this (cause 19).
    media_connect_timeout_s: float = 30.0
    # Asterisk's http.conf `sessionlimit` (default 100): connections beyond it are closed at
    # once, unanswered. None: no limit (a benchmark's callers are not Asterisk's clients).
    http_session_limit: int | None = None
    dtmf_duration_ms: int = 100
    dtmf_gap_ms: int = 100


ASTERISK_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.{ms:03d}+0000"


def format_timestamp(moment: datetime) -> str:
    """Asterisk's event timestamp: `2026-11-25T21:30:24.797+0000`."""
    return moment.strftime(ASTERISK_TIME_FORMAT).format(ms=moment.microsecond // 1000)


class SwitchClock:
    """Switch time = wall time since start x `speed`; sleeps shrink by the same factor."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise SandboxError(f"sandbox speed must be > 0, got {speed}")
        self.speed = speed
        self._t0 = time.monotonic()
        self._wall0 = datetime.now(UTC)

    def now_s(self) -> float:
        """Switch seconds since the clock started."""
        return (time.monotonic() - self._t0) * self.speed

    def timestamp(self, at_s: float | None = None) -> str:
        """Asterisk timestamp of switch time `at_s` (default: now)."""
        at_s = self.now_s() if at_s is None else at_s
        return format_timestamp(self._wall0 + timedelta(seconds=at_s))

    def wall_s(self, switch_s: float) -> float:
        return switch_s / self.speed

    async def sleep(self, switch_s: float) -> None:
        await asyncio.sleep(max(0.0, switch_s) / self.speed)
