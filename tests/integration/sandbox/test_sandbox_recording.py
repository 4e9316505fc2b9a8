"""Recordings on the sandbox switch fail and hold audio as on Asterisk 22.10.1: a bridge
recording starves while the caller hears a channel prompt, a snoop records everything."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ivr.sandbox import SandboxSwitch
from tests.integration.sandbox.conftest import Ari, tone_wav
from tests.integration.sandbox.test_sandbox_media import answered_call, ari_bytes, wav_of


async def test_bridge_recording_starves_during_a_channel_prompt(
    switch: SandboxSwitch, ari: Ari, sounds_dir: Path
) -> None:
    tone_wav(sounds_dir / "en" / "notice.wav", freq_hz=500, seconds=6.0)
    events = await ari.events()
    caller = await answered_call(switch, ari, events, idle_audio="silence")
    await ari.req("POST", "/bridges", type="mixing", bridgeId="b")
    await ari.req("POST", "/bridges/b/addChannel", channel=caller)
    await ari.req("POST", "/bridges/b/record", name="starved", format="wav")
    started = (await events.next("RecordingStarted"))["timestamp"]
    await switch.clock.sleep(1.0)  # one switch second of steady silent frames
    await ari.req("POST", f"/channels/{caller}/play", media="sound:notice")  # 6 s, to the channel
    prompt = (await events.next("PlaybackStarted"))["timestamp"]
    finished = await events.next("RecordingFinished", timeout_s=10)
    assert (finished["recording"]["state"], "cause" in finished["recording"]) == ("done", False)
    # no frame for 4 s ends it (a loaded machine may fire that timer late), long before the
    # 6 s prompt would have ended
    assert 3.95 <= seconds_between(prompt, finished["timestamp"]) < 5.5
    assert await ari.req("GET", "/recordings/live/starved") == (
        404,
        {"message": "Recording not found"},
    )
    assert (await ari.req("POST", "/recordings/live/starved/stop"))[0] == 404
    _, data = await ari_bytes(ari, "/recordings/stored/starved/file")
    samples = wav_of(data)[1]
    fed_s = seconds_between(started, prompt)  # steady silence until the channel prompt
    assert abs(len(samples) / 8000 - fed_s) <= 0.1
    assert finished["recording"]["duration"] == int(len(samples) / 8000)
    assert not samples.any()  # the silence the caller sent, nothing of the prompt
    status, bridge = await ari.req("GET", "/bridges/b")
    assert (status, bridge["technology"], bridge["channels"]) == (200, "simple_bridge", [caller])


async def test_quiet_channel_recording_is_a_bare_header(switch: SandboxSwitch, ari: Ari) -> None:
    events = await ari.events()
    caller = await answered_call(switch, ari, events)
    await ari.req("POST", f"/channels/{caller}/record", name="nothing", format="wav")
    finished = (await events.next("RecordingFinished", timeout_s=10))["recording"]
    assert (finished["state"], finished["duration"]) == ("done", 0)
    _, data = await ari_bytes(ari, "/recordings/stored/nothing/file")
    assert len(data) == 44


async def test_snoop_records_what_the_caller_heard_continuously(
    switch: SandboxSwitch, ari: Ari
) -> None:
    events = await ari.events()
    caller = await answered_call(switch, ari, events)  # quiet: sends no frame at all
    await ari.req("POST", f"/channels/{caller}/snoop", spy="both", app="futures-ivr", snoopId="s")
    await events.next("StasisStart")
    await ari.req("POST", "/channels/s/record", name="whole", format="wav")
    started = (await events.next("RecordingStarted"))["timestamp"]
    await switch.clock.sleep(1.0)
    await ari.req("POST", "/bridges", type="mixing", bridgeId="b")
    await ari.req("POST", "/bridges/b/addChannel", channel=caller)
    await ari.req("POST", "/bridges/b/play", media="sound:hello-world")  # 1.5 s to the bridge
    played = (await events.next("PlaybackStarted"))["timestamp"]
    ended = (await events.next("PlaybackFinished"))["timestamp"]
    await switch.clock.sleep(1.0)
    await ari.req("POST", "/recordings/live/whole/stop")
    done = await events.next("RecordingFinished")
    finished = done["recording"]
    _, data = await ari_bytes(ari, "/recordings/stored/whole/file")
    samples = wav_of(data)[1].astype(np.float64)
    assert finished["duration"] == int(len(samples) / 8000)
    # from the snoop's start to the stop, no gap: the file is as long as the recording ran
    # (3.5 s of scripted waits, plus however long a loaded machine took over the requests)
    span = seconds_between(started, done["timestamp"])
    assert len(samples) / 8000 >= 3.4
    assert abs(len(samples) / 8000 - span) <= 0.1

    def rms(from_s: float, to_s: float) -> float:
        part = samples[int(from_s * 8000) : int(to_s * 8000)]
        return float(np.sqrt(np.mean(part**2)))

    # where the prompt lies in the file, from the switch's own event times (the requests of a
    # loaded machine may come late, the file follows the events)
    prompt_from, prompt_to = seconds_between(started, played), seconds_between(started, ended)
    assert prompt_to - prompt_from >= 1.4
    assert rms(0.0, prompt_from - 0.05) == 0.0  # before the prompt: nothing to hear
    assert 1800 <= rms(prompt_from + 0.25, prompt_to - 0.25) <= 2400  # RMS 4243, about -6 dB
    assert rms(prompt_to + 0.05, len(samples) / 8000) == 0.0  # after it: silence again
    heard = switch.media_log(caller)
    assert heard[0] == 0.0
    assert 3000 <= max(heard) <= 4300  # the prompt, at source level


def seconds_between(a: str, b: str) -> float:
    """Seconds from event timestamp `a` to `b` (same day)."""

    def ms(stamp: str) -> int:
        h, m, s, milli = (int(stamp[i : i + n]) for i, n in ((11, 2), (14, 2), (17, 2), (20, 3)))
        return ((h * 60 + m) * 60 + s) * 1000 + milli

    return (ms(b) - ms(a)) / 1000
