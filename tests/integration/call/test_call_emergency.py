"""The emergency line end to end: priority routing to the trading desk, and its recording.

An emergency call placed while 50 normal calls wait is answered by the first free
trading-desk agent (a simulated phone that answers after 2 s); the call is recorded from
answer to hang-up in one bridge recording that the agent joins; the recording is sealed with a
sha256 that `ivr recordings verify` confirms, and one tampered byte makes verify report it.
"""

from __future__ import annotations

import os
import stat
import wave
from pathlib import Path

import numpy as np

from ivr.sandbox.scenario import Speak
from queueing.config import PriorityClass
from queueing.model import AgentProfile
from queueing.policy import AgentId, CallKey
from recordings import VerifyProblem
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver

LOGIN = "12345678#,123456"  # sample account 12345678 (张伟) and its trading PIN


def line_noise(path: Path, seconds: float) -> Path:
    """A phone line is never digitally silent: low noise, 8 kHz mono 16-bit."""
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal(int(8000 * seconds)) * 300).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(samples.tobytes())
    return path


async def test_emergency_call_jumps_the_queue_and_is_recorded(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    # speed 10: the caller's line audio (50 frames/s of switch time) must keep pace
    async with app_factory(speed=10.0) as app:
        store = app.queue_store
        now = app.clock.now_s()
        for n in range(50):
            await store.enqueue(CallKey(f"normal-{n}"), "general", PriorityClass.NORMAL, now - n)
        desk = AgentProfile(
            AgentId("desk-1"),
            "王敏",
            "PJSIP/8001",
            {"emergency_order": 4, "licensed": 3, "mandarin": 3},
        )
        await store.add_agent(desk, now)
        await store.login(desk.agent_id, now, ready=True)

        noise = line_noise(tmp_path / "line.wav", 120)
        driver = await CallDriver.dial(
            app, dialed="95556", caller="13800000001", steps=(Speak(noise),)
        )
        await driver.run("1," + LOGIN)  # 1: Mandarin (95556 asks the language first)
        session = driver.session
        await until(lambda: session.outcome == "answered", timeout_s=20, what="desk answered")
        record = await store.get_call(CallKey(driver.channel_id))
        assert record is not None
        assert (record.agent_id, record.priority) == ("desk-1", PriorityClass.EMERGENCY)
        assert record.info["priority"] == "emergency"
        assert len(await store.waiting_calls(["general"])) == 50  # nobody else was served
        bridges = [b for b in app.switch.bridges.values() if driver.channel_id in b.channels]  # type: ignore[union-attr]
        assert len(bridges) == 1
        assert len(bridges[0].channels) == 2  # caller and agent talk in one bridge

        await app.switch.clock.sleep(3.0)  # type: ignore[union-attr]  # they talk a little
        driver.hang_up()
        transcript = await driver.ended(timeout_s=30)

        rows = await app.recordings.search(call_id=session.call_id)
        assert [(r.purpose, r.status.value, r.source.value) for r in rows] == [
            ("emergency", "sealed", "snoop")  # a snoop on the caller: all they hear and say
        ]
        rec = rows[0]
        assert rec.sha256 is not None
        assert len(rec.sha256) == 64
        assert transcript.ended_s is not None
        # recorded from entering the emergency line (answer: dialed directly) to hang-up
        call_s = transcript.ended_s - (transcript.answered_s or 0.0)
        assert rec.duration_ms is not None
        assert abs(rec.duration_ms / 1000 - call_s) <= 1.0

        assert await app.recordings.verify() == []
        path = app.recordings.path_of(rec)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        data = bytearray(path.read_bytes())
        data[100] ^= 0x01
        path.write_bytes(bytes(data))
        [problem] = await app.recordings.verify()
        assert isinstance(problem, VerifyProblem)
        assert problem.line() == (
            f"MISMATCH {rec.id} {path}: sha256 {problem.actual_sha256} != sealed {rec.sha256}"
        )
