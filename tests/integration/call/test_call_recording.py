"""The whole-call recording of the emergency line on a switch that behaves as Asterisk 22 does.

The sandbox records what a real Asterisk would (docs/asterisk-behaviour.md, "Recording"): a
bridge recording starves, a snoop on the caller holds everything the caller hears and says.
These calls check what compliance relies on:
- the recording (one file, or linked parts) covers the call from answer to hang-up within 1 s;
- second by second, it has sound exactly where the caller heard something (the notices, the
  verification prompts, the order read-back, the desk agent) and silence where the caller heard
  none, compared with the switch's own media log of the caller's channel;
- a part stopped while the call is up is followed by the next part within 1 s, both sealed and
  linked to the call, a `recording_gap` alert is raised, and `verify`/`coverage` are clean.
"""

from __future__ import annotations

import itertools
import wave
from datetime import datetime
from pathlib import Path

import numpy as np

from ivr.app import App
from ivr.sandbox import EndpointBehavior
from ivr.sandbox.scenario import Scenario
from queueing.model import AgentProfile
from queueing.policy import AgentId
from recordings import Recording
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

ASTERISK_TIME = "%Y-%m-%dT%H:%M:%S.%f%z"
LOGIN = "12345678#,123456"  # sample account 12345678 (张伟) and its trading PIN
ORDER = "1,2505,1,2,1,3580*5#,2#,1"  # rebar 2505, buy, close, limit 3580.5, 2 lots, confirm
SPEED = 20.0
# The stopped part's successor must start within 1 s of call time: the app's reaction is wall
# time (an event, a REST call), so at 20x that is 50 ms of a loaded machine; at 5x, 200 ms.
STOPPED_SPEED = 5.0
LOUD_HEARD = 300.0  # RMS of a second the caller clearly heard something in (source level)
QUIET_HEARD = 5.0
LOUD_RECORDED = 60.0  # the recording is about 6 dB below the source
QUIET_RECORDED = 5.0


def rms_per_second(path: Path) -> list[float]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    return [float(np.sqrt(np.mean(pcm[i : i + 8000] ** 2))) for i in range(0, len(pcm), 8000)]


def agreement(recorded: list[float], heard: list[float]) -> float:
    """Share of the clearly loud or clearly silent seconds of what the caller heard that the
    recording matches (best whole-second alignment: the recording starts at answer)."""
    best = 0.0
    for offset in range(3):
        judged = agree = 0
        for i, level in enumerate(recorded):
            if i + offset >= len(heard):
                break
            source = heard[i + offset]
            if source >= LOUD_HEARD:
                judged, agree = judged + 1, agree + (level >= LOUD_RECORDED)
            elif source <= QUIET_HEARD:
                judged, agree = judged + 1, agree + (level <= QUIET_RECORDED)
        best = max(best, agree / judged if judged else 0.0)
    return best


def spoken_order(path: Path) -> Path:
    """6 s of a caller repeating their order after the tone."""
    rng = np.random.default_rng(5)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes((rng.standard_normal(6 * 8000) * 2000).astype("<i2").tobytes())
    return path


def agent_voice(path: Path) -> Path:
    """20 s of a desk agent: 4 s talking, 1 s pause, four times (then silence)."""
    rng = np.random.default_rng(11)
    talk = (rng.standard_normal(4 * 8000) * 2500).astype("<i2")
    pause = np.zeros(8000, dtype="<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.concatenate([talk, pause] * 4).tobytes())
    return path


def seams(app: App, names: list[str]) -> list[float]:
    """Call seconds from the end of each part to the start of the next, from the switch's
    `RecordingFinished` and `RecordingStarted` events."""
    assert app.switch is not None
    at = {
        (e["type"], e["recording"]["name"]): datetime.strptime(e["timestamp"], ASTERISK_TIME)
        for e in app.switch.events()
        if e["type"] in ("RecordingStarted", "RecordingFinished")
    }
    return [
        (at["RecordingStarted", b] - at["RecordingFinished", a]).total_seconds()
        for a, b in itertools.pairwise(names)
    ]


async def parts_of(app: App, call_id: str) -> list[Recording]:
    return sorted(await app.recordings.search(call_id=call_id), key=lambda r: r.id)


def covered_s(parts: list[Recording]) -> float:
    return sum((p.duration_ms or 0) for p in parts) / 1000


async def place(app: App, steps_endpoints: dict[str, EndpointBehavior]) -> CallDriver:
    assert app.switch is not None
    scenario = Scenario(
        dialed="95556", caller="13800000001", max_duration_s=100_000, endpoints=steps_endpoints
    )
    call = await app.switch.place_call(scenario)
    driver = CallDriver(app, call)
    await until(lambda: driver.channel_id in app.sessions, what="the call's session")
    await driver.press("1")  # Mandarin: 95556 asks the language first (recorded as well)
    return driver


async def desk_agent(app: App) -> None:
    store = app.queue_store
    now = app.clock.now_s()
    desk = AgentProfile(
        AgentId("desk-1"), "王敏", "PJSIP/8001", {"emergency_order": 4, "mandarin": 3}
    )
    await store.add_agent(desk, now)
    await store.login(desk.agent_id, now, ready=True)


async def test_an_order_capture_is_recorded_whole_with_its_read_back(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    async with app_factory(speed=SPEED) as app:
        driver = await place(app, {})
        await driver.run(LOGIN)  # no desk agent: the queue gives up, the order is captured
        await driver.run(ORDER)
        session = driver.session
        await until(lambda: session.recordings.recording_channel, what="the voice order")
        await driver.call.say(spoken_order(tmp_path / "order.wav"))
        assert app.switch is not None
        app.switch.press(app.switch.channel(driver.channel_id), "#")  # done: ends the record
        transcript = await driver.ended(timeout_s=120)
        assert transcript.ended_by == "app"
        detail = await app.store.get_call(session.call_id)
        assert detail is not None
        nodes = [t.node for t in detail.trace]
        assert {"recorded_notice", "verify", "order_readback", "order_confirm"} <= set(nodes)

        parts = await parts_of(app, session.call_id)
        whole = [p for p in parts if p.purpose == "emergency"]
        assert [(p.status.value, p.source.value) for p in whole] == [("sealed", "snoop")]
        assert transcript.ended_s is not None
        call_s = transcript.ended_s - (transcript.answered_s or transcript.started_s)
        assert abs(covered_s(whole) - call_s) <= 1.0
        heard = app.switch.media_log(driver.channel_id)
        recorded = rms_per_second(app.recordings.path_of(whole[0]))
        assert agreement(recorded, heard) >= 0.95
        assert sum(1 for r in recorded if r >= LOUD_RECORDED) >= 30  # notices, menus, read-back
        assert [p.purpose for p in parts if p.purpose != "emergency"] == ["voice_order"]
        assert await app.recordings.verify() == []
        [call] = await app.recordings.coverage()
        assert call.ratio >= 0.95


async def test_talking_with_the_desk_is_recorded_and_a_stopped_part_is_followed(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    voice = agent_voice(tmp_path / "agent.wav")
    async with app_factory(speed=STOPPED_SPEED) as app:
        await desk_agent(app)
        driver = await place(app, {"PJSIP/8001": EndpointBehavior(answer_after_s=2, speak=voice)})
        await driver.run(LOGIN)
        session = driver.session
        await until(lambda: session.outcome == "answered", timeout_s=30, what="desk answered")
        whole = session.recordings.whole
        assert whole is not None
        first = whole.current
        assert first is not None
        assert app.switch is not None
        await app.switch.clock.sleep(6.0)  # talking
        await session.deps.rest.stop_recording(first)  # someone stops it: an incident
        await until(lambda: whole.current not in (None, first), timeout_s=10, what="part 2")
        await app.switch.clock.sleep(16.0)  # the rest of the agent's 20 s
        driver.hang_up()
        transcript = await driver.ended(timeout_s=60)

        parts = await parts_of(app, session.call_id)
        assert [(p.name.rsplit("-", 1)[1], p.status.value, p.source.value) for p in parts] == [
            ("1", "sealed", "snoop"),
            ("2", "sealed", "snoop"),
        ]
        assert {p.covers_from for p in parts} == {parts[0].covers_from}  # one call, linked
        [seam] = seams(app, [p.name for p in parts])
        assert 0.0 <= seam <= 1.0  # part 2 started within 1 s of part 1's end (switch events)
        assert transcript.ended_s is not None
        call_s = transcript.ended_s - (transcript.answered_s or transcript.started_s)
        assert abs(covered_s(parts) - call_s) <= 1.0  # and the rest of the call is held
        heard = app.switch.media_log(driver.channel_id)
        recorded = [r for p in parts for r in rms_per_second(app.recordings.path_of(p))]
        assert agreement(recorded, heard) >= 0.9  # the seam may split one second
        assert sum(1 for r in recorded if r >= LOUD_RECORDED) >= 16 + 10  # agent + prompts

        alerts = [e.fields for e in await app.queue_store.events() if e.type == "alert"]
        assert [(a["kind"], a["reason"], a["recording"]) for a in alerts] == [
            ("recording_gap", "ended_early", first)
        ]
        assert await app.recordings.verify() == []
        [call] = await app.recordings.coverage()
        assert call.recording_ids == tuple(p.id for p in parts)
        assert call.ratio >= 0.95
        metrics = app.deps.metrics.render().decode()
        assert 'ivr_recording_incidents_total{reason="ended_early"} 1.0' in metrics
