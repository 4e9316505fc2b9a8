"""Replays a conformance capture against a fresh sandbox switch (see `test_conformance.py`).

The capture's REST calls are sent with the same paths and parameters at the same moments
(switch time since the scenario started; a call the app made in reaction to a `StasisStart` or
a digit also waits until the sandbox has sent that event), its callers are scenario callers
running the same script, its websocket is closed and reopened when the app's was, and every
event the sandbox sends is collected with its `t` (from the event's own timestamp).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch, scenario_from_dict
from ivr.sandbox.sounds import write_stand_in_sounds
from tests.contract.capture import Capture, Json, RestCall

APP = "futures-ivr"
AGENT = "Local/8001@agent-short"  # [agent-short] Answer, Wait(5), Hangup
CALLER_SCRIPT = {
    "S1": "s1",
    "S2": "silentloop",
    "S3": "quiet",
    "S4": "quiet",
    "S5": "ticks",
    "S6": "quiet",
    "S7": "quiet",
    "S8": "silentloop",
    "S9": "quiet",
    "S10": "talker",
}
TRIGGER_WAIT_S = 3.0  # real seconds a reaction waits for its trigger event
TAIL_S = 0.3  # switch seconds after the capture's last event to collect stragglers


def caller_script(script: str, sounds: Path) -> Json:
    """The conformance dialplan scripts (`[diff-caller]`) as scenario callers."""
    answered: list[Json] = [{"wait_for": "answer"}]
    if script == "s1":  # Answer, Wait(2), SendDTMF(5,250,100), Wait(3), Hangup
        steps = [*answered, {"wait": 2.1}, {"press": "5"}, {"wait": 3.0}, {"hangup": True}]
        return {"steps": steps}
    if script == "silentloop":  # Playback(silence/10) x4: steady silent frames
        return {"idle_audio": "silence"}
    if script == "talker":  # Playback(tt-monkeys), Wait(20): the caller "says" tt-monkeys
        speak = str(sounds / "en" / "tt-monkeys.wav")
        return {"steps": [*answered, {"speak": speak}, {"wait": 20}]}
    if script == "ticks":  # DTMF 1..5, one every ~3.45 s from t=1 of the call (not of its
        # answer): planned from the call's start, a late answer on a loaded machine does not
        # push the digits past the app's reconnect (S5: digit 3 at 8.1 s is lost, 4 is not)
        ticks: list[Json] = [{"wait": 1.1}]
        for digit in "12345":
            ticks += [{"press": digit}, {"wait": 3.104}]
        return {"steps": ticks}
    return {}  # quiet: Wait(40), sends nothing


@dataclass(slots=True)
class Replay:
    events: list[tuple[float, Json]] = field(default_factory=list)
    rest: list[tuple[RestCall, int, Any]] = field(default_factory=list)  # call, status, body
    files: dict[str, bytes] = field(default_factory=dict)  # recording name -> stored file
    late_s: float = 0.0  # the latest a caller was placed or a REST call sent or answered after
    # its moment (switch s)
    sent_late: list[tuple[float, float]] = field(default_factory=list)  # (t, late) of calls


def _auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}


def _stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


class _Runner:
    def __init__(self, switch: SandboxSwitch, session: aiohttp.ClientSession, cap: Capture):
        self.switch, self.session, self.cap = switch, session, cap
        self.result = Replay()
        self.t0 = 0.0
        self.stamp0 = _stamp(switch.clock.timestamp(0.0))
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.readers: list[asyncio.Task[None]] = []
        self.arrived = asyncio.Event()  # set on every event received

    def actions(self, sounds: Path) -> list[tuple[float, int, Any]]:
        """(t, order, action) for callers, websocket changes and REST calls."""
        out: list[tuple[float, int, Any]] = []
        script = caller_script(CALLER_SCRIPT[self.cap.name], sounds)
        for t, event in self.cap.events:
            cid = event.get("channel", {}).get("id", "")
            if event["type"] == "StasisStart" and cid.endswith("-l2"):
                out.append((t - 0.001, 0, ("caller", cid, script)))
        closes = [t for t, note in self.cap.notes if note == "ws closed by app"]
        for t, note in self.cap.notes:
            if note.startswith("caller ") and "originate" in note:
                out.append((t - 0.001, 0, ("caller", note.split()[1] + "-l2", script)))
            elif note == "ws closed by app" and t != closes[-1]:
                out.append((t, 1, ("close",)))
            elif note == "ws connected":
                out.append((t, 1, ("open",)))
        out += [(call.t, 2, ("rest", call)) for call in self.cap.rest]
        return sorted(out, key=lambda a: (a[0], a[1]))

    async def run(self, sounds: Path) -> Replay:
        await self.open()
        async with self.session.get(f"{self.switch.ari_url}/ari/asterisk/ping", headers=_auth()):
            pass  # the connection is open before the first timed call
        self.t0 = self.switch.clock.now_s()
        self.stamp0 = _stamp(self.switch.clock.timestamp(self.t0))
        for t, _, action in self.actions(sounds):
            await self.switch.clock.sleep(self.t0 + t - self.switch.clock.now_s())
            if action[0] == "caller":
                scenario = scenario_from_dict(
                    {"dialed": "100", "caller": "13800000001", "caller_name": "Caller", **action[2]}
                )
                ids = (action[1].removesuffix("-l2") + "-l1", action[1])
                # the caller's script runs from its planned moment, however late it was placed
                await self.switch.place_call(scenario, channel_ids=ids, at_s=self.t0 + t)
                late = self.switch.clock.now_s() - self.t0 - t  # its StasisStart is as late
                self.result.late_s = max(self.result.late_s, late)
            elif action[0] == "close":
                await self.close()
            elif action[0] == "open":
                await self.open()
            else:
                await self.rest(action[1])
        last_t = max(t for t, _ in self.cap.events)
        await self.switch.clock.sleep(self.t0 + last_t + TAIL_S - self.switch.clock.now_s())
        await self._until(lambda: len(self.result.events) >= len(self.cap.events), 1.0)
        await self.close()
        return self.result

    async def open(self) -> None:
        self.ws = await self.session.ws_connect(
            f"{self.switch.ari_url}/ari/events", params={"app": APP}, headers=_auth()
        )
        self.readers.append(asyncio.create_task(self._read(self.ws)))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        await asyncio.gather(*self.readers)
        self.readers.clear()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                event = json.loads(msg.data)
                t = (_stamp(event["timestamp"]) - self.stamp0).total_seconds()
                self.result.events.append((t, event))
                self.arrived.set()

    async def rest(self, call: RestCall) -> None:
        trigger = self.cap.trigger_of(call)
        if trigger is not None:
            await self._wait_for(trigger)
        late = self.switch.clock.now_s() - self.t0 - call.t
        self.result.late_s = max(self.result.late_s, late)
        if not call.path.startswith("/recordings/"):  # a stop moves no sound in a file
            self.result.sent_late.append((call.t, late))
        async with self.session.request(
            call.method,
            f"{self.switch.ari_url}/ari{call.path}",
            params=call.params,
            headers=_auth(),
        ) as resp:
            data = await resp.read()
            body: Any = None
            if resp.content_type == "application/json" and data:
                body = json.loads(data)
            elif call.path.endswith("/file"):
                self.result.files[call.path.split("/")[3]] = data
        # what the call caused can come no earlier than the switch answered it (a loaded
        # machine stalls the switch's loop as well as ours)
        answered = self.switch.clock.now_s() - self.t0 - call.t
        self.result.late_s = max(self.result.late_s, answered)
        self.result.rest.append((call, resp.status, body))

    async def _wait_for(self, trigger: Json) -> None:
        def key(event: Json) -> tuple[str, str | None, str]:
            return (event["type"], (event.get("channel") or {}).get("id"), event.get("digit", ""))

        wanted = key(trigger)
        await self._until(
            lambda: any(key(e) == wanted for _, e in self.result.events), TRIGGER_WAIT_S
        )

    async def _until(self, reached: Callable[[], bool], timeout_s: float) -> None:
        """Wait (bounded, real seconds) until `reached()` after some event arrives; a timeout
        is no error here: what is missing shows up in the comparison."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while not reached():
                    self.arrived.clear()
                    await self.arrived.wait()


async def replay(capture: Capture, workdir: Path, speed: float) -> Replay:
    """Run `capture` against a fresh sandbox switch at `speed`."""
    sounds = write_stand_in_sounds(workdir / "sounds")
    recordings = workdir / "recording"
    recordings.mkdir(parents=True, exist_ok=True)
    config = SandboxConfig(
        speed=speed,
        sounds_dir=sounds,
        recordings_dir=recordings,
        stasis_app=APP,
        dtmf_gap_ms=250,
        endpoints={AGENT: EndpointBehavior(hangup_after_s=5.0)},
    )
    timeout = aiohttp.ClientTimeout(total=10)
    async with SandboxSwitch(config) as switch, aiohttp.ClientSession(timeout=timeout) as s:
        return await _Runner(switch, s, capture).run(sounds)
