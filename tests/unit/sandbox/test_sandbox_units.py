"""Pure parts of the sandbox switch: route table, scenario loading, audio, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from ivr.sandbox import (
    EndpointBehavior,
    ScenarioError,
    audio,
    load_scenario,
    routes,
    scenario_from_dict,
)
from ivr.sandbox.channels import parse_caller_id
from ivr.sandbox.config import format_timestamp
from ivr.sandbox.scenario import Hangup, Press, Wait, WaitFor

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def test_literal_segments_win_over_path_variables() -> None:
    found = routes.match("POST", "/channels/externalMedia")
    assert not isinstance(found, routes.ParamError)
    assert found[0].path == "/channels/externalMedia"
    found = routes.match("POST", "/channels/abc/play/pb-1")
    assert not isinstance(found, routes.ParamError)
    assert found[1] == {"channelId": "abc", "playbackId": "pb-1"}


def test_unknown_route_and_method() -> None:
    assert routes.match("GET", "/channels/a/b/c") == routes.ParamError(404, "Resource not found")
    assert routes.match("PATCH", "/bridges") == routes.ParamError(405, "Invalid method")


def route(method: str, path: str) -> routes.Route:
    found = routes.match(method, path)
    assert not isinstance(found, routes.ParamError)
    return found[0]


def test_validate_splits_multiple_values_and_checks_types() -> None:
    play = route("POST", "/channels/c/play")
    assert routes.validate(play, {"media": ["sound:a,sound:b"], "skipms": ["10"]}) == {
        "media": ["sound:a", "sound:b"],
        "skipms": ["10"],
    }
    assert routes.validate(play, {"media": ["x"], "skipms": ["ten"]}) == routes.ParamError(
        400, "Invalid value for 'skipms': 'ten' is not an integer"
    )
    record = route("POST", "/channels/c/record")
    assert routes.validate(record, {"name": ["n"], "format": ["wav"], "beep": ["maybe"]}) == (
        routes.ParamError(400, "Invalid value for 'beep': 'maybe' is not a boolean")
    )
    assert routes.validate(record, {"name": ["n"], "format": ["wav"], "terminateOn": ["#"]}) == {
        "name": ["n"],
        "format": ["wav"],
        "terminateOn": ["#"],
    }


def test_unknown_parameter_strict_and_lenient() -> None:
    ping = route("GET", "/asterisk/ping")
    assert routes.validate(ping, {"x": ["1"]}) == routes.ParamError(400, "Unknown parameter 'x'")
    assert routes.validate(ping, {"x": ["1"]}, strict=False) == {}
    assert routes.validate(ping, {"api_key": ["u:p"]}) == {}


def test_missing_required_uses_asterisk_text() -> None:
    assert routes.validate(route("POST", "/channels"), {}) == routes.ParamError(
        400, "Endpoint must be specified"
    )
    assert routes.validate(route("POST", "/bridges/b/addChannel"), {}) == routes.ParamError(
        400, "Required parameter 'channel' not provided."
    )


def test_every_route_has_a_handler() -> None:
    from ivr.sandbox.handlers import ACTIONS, HANDLERS

    keys = {(r.method, r.path) for r in routes.ROUTES} - {("GET", "/events")}
    assert keys == set(HANDLERS) | set(ACTIONS)
    assert not set(HANDLERS) & set(ACTIONS)


def test_load_scenario_fixture() -> None:
    scenario = load_scenario(FIXTURES / "hotline_menu.yaml")
    assert (scenario.dialed, scenario.caller, scenario.language) == (
        "95555",
        "13800000001",
        "zh-CN",
    )
    assert scenario.steps == (
        WaitFor("answer"),
        WaitFor("prompt_end"),
        Press("1"),
        Wait(2.5),
        Press("12345678#"),
        WaitFor("prompt_end", 30.0),
        Hangup(),
    )
    assert scenario.endpoints == {
        "PJSIP/8001": EndpointBehavior(answer_after_s=2.0),
        "PJSIP/8002": EndpointBehavior(never_answer=True),
        "PJSIP/8003": EndpointBehavior(busy=True),
    }


def test_bad_step_names_file_line_column() -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(FIXTURES / "bad_step.yaml")
    assert str(exc.value) == (
        f"{FIXTURES / 'bad_step.yaml'}:4:5: unknown step 'pres' "
        "(known: wait, press, speak, wait_for, hangup)"
    )


def test_scenario_idle_audio_and_endpoint_hangup() -> None:
    scenario = scenario_from_dict(
        {
            "dialed": "100",
            "idle_audio": "silence",
            "endpoints": {"Local/8001@agent-short": {"hangup_after": 5}},
        }
    )
    assert scenario.idle_audio == "silence"
    assert scenario.endpoints == {"Local/8001@agent-short": EndpointBehavior(hangup_after_s=5.0)}
    assert scenario_from_dict({"dialed": "100"}).idle_audio == "none"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "missing 'dialed' (the number the caller dials)"),
        (
            {"dialed": "1", "colour": 1},
            "unknown key 'colour' (known: caller, caller_name, dialed, endpoints, idle_audio, "
            "language, max_duration_s, steps)",
        ),
        (
            {"dialed": "1", "steps": [{"press": "12x"}]},
            "press: expected DTMF digits 0-9 * # A-D, got '12x'",
        ),
        (
            {"dialed": "1", "steps": [{"wait": -1}]},
            "wait: expected a number of seconds >= 0, got -1",
        ),
        ({"dialed": "1", "steps": [{"speak": "nope.wav"}]}, "speak: no such WAV file 'nope.wav'"),
        (
            {"dialed": "1", "idle_audio": "music"},
            "idle_audio: expected none | silence, got 'music'",
        ),
        (
            {"dialed": "1", "steps": [{"wait_for": "x"}]},
            "wait_for: expected prompt_end | prompt_start | answer, got 'x'",
        ),
    ],
)
def test_scenario_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, source="s.json")
    assert str(exc.value) == f"s.json:1:1: {message}"


def test_asterisk_timestamp_format() -> None:
    moment = datetime(2026, 11, 25, 21, 30, 24, 797_400, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-11-25T21:30:24.797+0000"


def test_caller_id_parsing() -> None:
    assert parse_caller_id('"Smoke main" <5550100>') == ("5550100", "Smoke main")
    assert parse_caller_id("13800000001") == ("13800000001", "")


def test_ulaw_reference_values() -> None:
    samples = np.array([0, -1, 1000, -1000, 32767, -32768], dtype=np.int16)
    assert audio.ulaw_encode(samples).hex() == "ff7fce4e8000"


def test_frames_have_chan_websocket_sizes() -> None:
    t = np.arange(16000) / 16000
    data = audio.wav_bytes((3000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16), 16000)
    frames = audio.frames_of(data)
    assert len(frames) == 50
    assert {len(audio.encode_frame(f, "slin16")) for f in frames} == {640}
    assert {len(audio.encode_frame(f, "ulaw")) for f in frames} == {160}
    assert (
        audio.encode_frame(frames[1], "slin16", big_endian=True)
        == frames[1].pcm16k.astype(">i2").tobytes()
    )


def test_prompt_must_be_8khz_mono_16bit() -> None:
    ok = audio.wav_bytes(np.zeros(12000, dtype=np.int16))
    assert audio.playable_duration_s(ok) == 1.5
    with pytest.raises(audio.WavError, match=r"Asterisk plays \.wav only as 8000 Hz mono 16-bit"):
        audio.playable_duration_s(audio.wav_bytes(np.zeros(100, dtype=np.int16), 16000))
    with pytest.raises(audio.WavError, match="not a WAV file"):
        audio.playable_duration_s(b"RIFFjunk")
