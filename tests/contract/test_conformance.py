"""Conformance: the sandbox switch replays ten scenarios captured on a real Asterisk 22.10.1.

Each capture `S1`..`S10` in `$IVR_ARI_SAMPLES/conformance/` (described in its README and in
`docs/asterisk-behaviour.md`) is replayed against a fresh sandbox switch (`replay.py`): the same
REST calls, with the same ids and parameters, at the same moments of switch time (the switch
runs `SPEED` times faster than real time; a call the app made in reaction to a `StasisStart` of
the channel it acts on, or to a digit, also waits for that event), the same caller scripts as
scenario callers (`s1`, `silentloop` = steady silent frames, `quiet` = nothing, `talker` =
tt-monkeys as its voice, `ticks` = a digit every ~3.45 s; the agent `Local/8001@agent-short`
answers, waits 5 s and hangs up), the websocket closed and reopened when the app's was.
Prompts are the sandbox's stand-ins (`ivr.sandbox.sounds`: tt-monkeys 16.2 s with the real
loudness per second, beep 0.425 s).

Normalisation, applied to both sides:
- events are compared in arrival order, one by one; the first that differs fails the test with
  its index, the expected and the received event (and the events around it);
- compared per event: `type`; the channel (or `Dial` peer) as its role (ids of the capture's
  `roles`, `ID;2` as `ROLE;2`) and its `state`; `cause`, `soft`, `digit`, `duration_ms`,
  `args`, `dialstatus`, `variable` and `value` (channel names with their 8-hex-digit sequence
  number as `-N`, e.g. `Recorder/ARI-N;2`); `ChannelDialplan` app and data; the caller number of
  `ChannelCallerId`, the connected number of `ChannelConnectedLine`; a bridge's id and
  `technology` and the ids in `bridge.channels` that the scenario chose (Asterisk's own
  uniqueids, e.g. an announcer still listed by `ChannelLeftBridge`, are dropped); a playback's
  id, state, media and target; a recording's name, state and target (its `duration` is checked
  with its file, below);
- not compared: timestamps themselves, `asterisk_id`, `application`, creation times, names
  of channels beyond the rules above, other snapshot fields;
- `t` (seconds since the scenario started, from the event's timestamp) must be within
  `T_TOLERANCE_S`, plus however late the replay sent a REST call or got its answer (a loaded
  machine);
- one known race is settled on both sides: a `ChannelConnectedLine` immediately followed
  (within 3 ms) by the `RecordingStarted`/`PlaybackStarted` that caused it is put after it
  (Asterisk sends them in either order);
- REST answers: the same status, and the same body for the fields `id name state technology
  bridge_type channels channel_ids bridge_ids target_uri media_uri format message` (names and
  ids normalised as above, lists sorted by id); stored files are compared as recordings;
- recordings: the replay may start or stop a recording some ms later than the capture did
  (`late_start`, `late_end`: the differences of `t` of its `RecordingStarted` and
  `RecordingFinished`); the file's length must be the real one minus `late_start` plus
  `late_end`, within `DURATION_TOLERANCE_S`, and the `RecordingFinished.duration` equal to its
  whole seconds (on both sides; a whole-second figure flips with a few ms of timing, so the two
  durations may differ by one). RMS per second (the last partial second included; one extra
  partial second allowed beyond the expected length), the sandbox's seconds taken
  `late_start` earlier in its file: silence (`<= SILENCE_RMS`, measured without `EDGE_S` at
  either end of the second) where the real file is silent, and within `LEVEL_TOLERANCE_DB`
  where it has energy (the sandbox writes about 6 dB below the source, as Asterisk does).
  A REST call the replay sent while recording
  (a play, a hang-up; not the stop) more than `EDGE_S` later or earlier than the recording
  started late moves its sound in the file by that much: a second it can reach is held to
  the real seconds it may hold parts of (silent if they all are, else between the quietest
  and the loudest of them, within `LEVEL_TOLERANCE_DB`). On a quiet machine every window is
  one second and the check is exact.

Without `IVR_ARI_SAMPLES` the tests skip (CI sets it).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest

from tests.contract.capture import (
    Capture,
    Json,
    Normaliser,
    finished_durations,
    load_capture,
    recording_times,
    settle_races,
    wav_figures,
)
from tests.contract.replay import Replay, replay

SCENARIOS = [f"S{i}" for i in range(1, 11)]
SPEED = 10.0
T_TOLERANCE_S = 0.3
DURATION_TOLERANCE_S = 0.1
SILENCE_RMS = 50
EDGE_S = 0.1
LEVEL_TOLERANCE_DB = 3.0


@pytest.fixture(scope="module")
def conformance_dir() -> Path:
    value = os.environ.get("IVR_ARI_SAMPLES")
    if not value:
        pytest.skip("IVR_ARI_SAMPLES is not set: point it at the ari-samples captures (CI does)")
    folder = Path(value) / "conformance"
    if not folder.is_dir():
        pytest.fail(f"IVR_ARI_SAMPLES={value} has no conformance/ folder")
    return folder


def _show(t: float, event: Json | None) -> str:
    return "nothing" if event is None else f"{event} at t={t:.3f}"


def event_problems(cap: Capture, got: Replay) -> list[str]:
    norm = Normaliser(cap)
    expected = [(t, norm.event(e)) for t, e in settle_races(cap.events)]
    received = [(t, norm.event(e)) for t, e in settle_races(got.events)]
    tolerance = T_TOLERANCE_S + max(0.0, got.late_s)
    for i in range(max(len(expected), len(received))):
        te, e = expected[i] if i < len(expected) else (math.nan, None)
        tg, g = received[i] if i < len(received) else (math.nan, None)
        if e != g or not abs(tg - te) <= tolerance:
            around = "\n".join(
                f"  #{j}: expected {_show(*expected[j])}\n       got      {_show(*received[j])}"
                for j in range(max(0, i - 3), i)
                if j < len(received)
            )
            what = "event" if e != g else f"time (tolerance {tolerance:.2f} s)"
            return [
                f"{cap.name}: first diverging {what} at #{i}\n{around}\n"
                f"  #{i}: expected {_show(te, e)}\n       got      {_show(tg, g)}"
            ]
    return []


def rest_problems(cap: Capture, got: Replay) -> list[str]:
    norm = Normaliser(cap)
    problems = []
    for call, status, body in got.rest:
        expected = (call.status, norm.body(call.body))
        received = (status, norm.body(body))
        if expected != received:
            problems.append(
                f"{cap.name}: {call.method} {call.path} at t={call.t:.3f}: "
                f"expected {expected}, got {received}"
            )
    if len(got.rest) != len(cap.rest):
        problems.append(f"{cap.name}: {len(got.rest)} REST calls sent of {len(cap.rest)}")
    return problems


def recording_problems(cap: Capture, got: Replay) -> list[str]:
    problems = []
    real_durations = finished_durations(cap.events)
    our_durations = finished_durations(got.events)
    real_times, our_times = recording_times(cap.events), recording_times(got.events)
    for name, real in cap.files.items():
        data = got.files.get(name)
        if data is None or name not in our_times or name not in real_times:
            problems.append(f"{cap.name}: recording {name} was not made or not fetched")
            continue
        late_start = our_times[name][0] - real_times[name][0]
        late_end = our_times[name][1] - real_times[name][1]
        ours: dict[str, Any] = wav_figures(data, shift_s=-late_start, edge_s=EDGE_S)
        where = f"{cap.name}: recording {name}"
        if ours["rate"] != real["rate"]:
            problems.append(f"{where}: rate {ours['rate']} != {real['rate']}")
        expected_s = real["duration_s"] - late_start + late_end
        if abs(ours["duration_s"] - expected_s) > DURATION_TOLERANCE_S:
            problems.append(
                f"{where}: {ours['duration_s']} s, real {real['duration_s']} s "
                f"(started {late_start:+.3f} s, ended {late_end:+.3f} s off)"
            )
        said, real_said = our_durations.get(name), real_durations.get(name)
        if said != int(ours["duration_s"]) or real_said != int(real["duration_s"]):
            problems.append(f"{where}: RecordingFinished says {said} s for {ours['duration_s']} s")
        mine, theirs = ours["rms_per_s"], real["rms_per_s"]
        if abs(len(mine) - math.ceil(expected_s)) > 1:  # a late start makes a shorter file
            problems.append(f"{where}: {len(mine)} seconds of RMS, real {len(theirs)}")
        # what the replay did while recording (a play, a hang-up) may have been later or
        # earlier than the recording's own start was: its sound moves that much in the file
        during = [
            late for t, late in got.sent_late if real_times[name][0] < t < real_times[name][1]
        ]
        back, ahead = (
            _reach(max(during, default=late_start) - late_start),
            _reach(late_start - min(during, default=late_start)),
        )
        cores = ours["core_rms_per_s"]
        for second, (a, core) in enumerate(zip(mine, cores, strict=False)):
            if second >= len(theirs):
                break
            near = theirs[max(0, second - back) : second + ahead + 1]
            problems += _level_problems(f"{where}: second {second}", a, core, near)
    return problems


def _reach(shift_s: float) -> int:
    """How many neighbouring real seconds a sound moved by `shift_s` may reach into."""
    return 0 if shift_s <= EDGE_S else math.ceil(shift_s)


def _level_problems(where: str, a: int, core: int, near: list[int]) -> list[str]:
    """The RMS `a` of a second against the real second (`near == [b]`), or, when a late or
    early action moved its sound, against the real seconds it may hold parts of: silent if
    they all are, else between the quietest and the loudest of them (a mix of two seconds
    lies between their levels), each within `LEVEL_TOLERANCE_DB`."""
    low, high, factor = min(near), max(near), 10 ** (LEVEL_TOLERANCE_DB / 20)
    if high == 0:
        return [f"{where} has RMS {core}, real is silent"] if core > SILENCE_RMS else []
    if a > high * factor or (low > 0 and a < low / factor):
        real = near[0] if len(near) == 1 else f"{low}..{high} (an action moved the sound)"
        return [f"{where} has RMS {a}, real {real}"]
    return []


@pytest.mark.parametrize("name", SCENARIOS)
async def test_sandbox_behaves_as_the_capture(
    name: str, conformance_dir: Path, tmp_path: Path
) -> None:
    capture = load_capture(conformance_dir, name)
    got = await replay(capture, tmp_path, SPEED)
    problems = event_problems(capture, got)
    problems += rest_problems(capture, got)
    problems += recording_problems(capture, got)
    assert not problems, "\n".join(problems)
