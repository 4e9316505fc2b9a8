"""A connected emergency call on the sandbox switch, staff users, and what each party heard.

Each party speaks a pure tone of its own (the caller 300 Hz, the desk agent 700 Hz, a second
agent 900 Hz, the supervisor 1100 Hz; music on hold 500 Hz), so whom a party heard in a stretch
of switch time is read from the sandbox's media model (`Mixer.heard`: the frames that party's
channel received) by the amplitude of each tone in it.
"""

from __future__ import annotations

import asyncio
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from ivr.app import App
from ivr.queue.waiting import Waiting
from ivr.sandbox import EndpointBehavior, SandboxSwitch
from ivr.sandbox.scenario import Scenario
from ivr.sandbox.timeline import slot_of
from queueing.model import AgentProfile
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.call.driver import CallDriver

LOGIN = "12345678#,123456"  # sample account 12345678 (张伟) and its trading PIN
SPEED = 10.0
CALLER_HZ, MUSIC_HZ, AGENT_HZ, AGENT_B_HZ, SUPERVISOR_HZ = 300, 500, 700, 900, 1100
AMPLITUDE = 3000.0
HEARD = 0.3 * AMPLITUDE  # a tone clearly there
SILENT = 0.02 * AMPLITUDE  # a tone not there
DESK, GENERAL = "PJSIP/8001", "PJSIP/8002"
SUPERVISOR_PHONE = "PJSIP/9001"


def tone(path: Path, hz: int, seconds: float) -> Path:
    t = np.arange(int(seconds * 8000)) / 8000
    pcm = (np.sin(2 * np.pi * hz * t) * AMPLITUDE).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(pcm.tobytes())
    return path


def tones_heard(
    switch: SandboxSwitch, channel_id: str, from_s: float, to_s: float
) -> dict[int, float]:
    """Amplitude of each party's tone in what `channel_id` heard from `from_s` to `to_s`."""
    frames = switch.mixer.heard(channel_id, slot_of(from_s), slot_of(to_s))
    pcm = frames.pcm.reshape(-1).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(pcm)) * 2 / len(pcm)
    hz_per_bin = 8000 / len(pcm)
    return {
        hz: round(float(spectrum[round(hz / hz_per_bin)]), 1)
        for hz in (CALLER_HZ, MUSIC_HZ, AGENT_HZ, AGENT_B_HZ, SUPERVISOR_HZ)
    }


def audible(levels: dict[int, float]) -> set[int]:
    """The tones clearly heard; fails on a tone neither clearly there nor clearly absent."""
    unclear = {hz: v for hz, v in levels.items() if SILENT < v < HEARD}
    assert not unclear, f"tones neither heard nor silent: {unclear} in {levels}"
    return {hz for hz, v in levels.items() if v >= HEARD}


@dataclass
class Desk:
    """The app with a desk agent, staff users and an HTTP client."""

    app: App
    tmp: Path
    http: aiohttp.ClientSession
    tokens: dict[str, str] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def switch(self) -> SandboxSwitch:
        assert self.app.switch is not None
        return self.app.switch

    async def add_agent(
        self, agent_id: str, name: str, endpoint: str, skills: dict[str, int]
    ) -> None:
        store, now = self.app.queue_store, self.app.clock.now_s()
        profile = AgentProfile(AgentId(agent_id), name, endpoint, skills)
        await store.add_agent(profile, now)
        await store.login(profile.agent_id, now, ready=True)

    async def add_user(self, name: str, roles: list[str], agent_id: str | None = None) -> None:
        self.tokens[name] = await self.app.services.users.add_user(name, roles, agent_id)

    async def api(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        url = self.app.http_url.rstrip("/") + path
        async with self.http.request(method, url, headers=headers, json=body) as resp:
            return resp.status, await resp.json()

    async def connected_call(self, endpoints: dict[str, EndpointBehavior]) -> CallDriver:
        """An emergency caller (talking from now on) connected to the desk agent."""
        scenario = Scenario(
            dialed="95556", caller="13800000001", max_duration_s=100_000, endpoints=endpoints
        )
        call = await self.switch.place_call(scenario)
        driver = CallDriver(self.app, call)
        await until(lambda: driver.channel_id in self.app.sessions, what="the call's session")
        await driver.run(LOGIN)
        session = driver.session
        await until(lambda: session.outcome == "answered", timeout_s=30, what="desk answered")
        voice = tone(self.tmp / "caller.wav", CALLER_HZ, 120)
        self.tasks.append(asyncio.create_task(driver.call.say(voice)))
        timeline = self.switch.timeline  # the frames are loaded first: wait until it talks
        await until(lambda: driver.channel_id in timeline.voice, what="the caller talking")
        return driver

    def state(self, key: str) -> Waiting:
        held = self.app.handoff.held(key)
        assert held is not None
        return held[1]

    def agent_leg(self, key: str) -> str:
        agent = self.state(key).agent
        assert agent is not None
        return agent.channel_id

    async def talk(self, seconds: float) -> tuple[float, float]:
        """Let the parties talk `seconds` of switch time; the stretch to inspect (the first
        half second left out: a step lands within it)."""
        start = self.switch.clock.now_s()
        await self.switch.clock.sleep(seconds)
        return start + 0.5, start + seconds

    async def aclose(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.http.close()


def music(tmp: Path) -> bytes:
    return tone(tmp / "music.wav", MUSIC_HZ, 10).read_bytes()
