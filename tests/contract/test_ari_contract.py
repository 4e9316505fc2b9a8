"""Contract: the sandbox switch against Asterisk 22.10.1's own ARI api-docs (Swagger 1.1).

1. Every route of `ivr.sandbox.routes` exists in the api-docs with the same method and the
   same parameters (names, location, required flags, data types, allowMultiple, allowed values).
2. Every event type the switch emits, taken from a real journey through the switch, has exactly
   the fields of its api-docs model (required present, no unknown ones, types right), and so do
   the REST bodies the journey got back.
3. The captured samples of a real Asterisk (`ari-samples/`, next to the api-docs or at
   `IVR_ARI_SAMPLES`) pass the same validator, so the validator itself is checked.

The api-docs come from `IVR_ARI_API_DOCS` (CI points it at `../shared/ari-api-docs`); without it
the tests skip with a message saying so.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch, routes, scenario_from_dict
from ivr.sandbox.audio import wav_bytes
from ivr.sandbox.events import EMITTED_EVENT_TYPES
from tests.helpers import until

DOCS_ENV = "IVR_ARI_API_DOCS"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
APP = "futures-ivr"


@pytest.fixture(scope="module")
def api_docs() -> Path:
    value = os.environ.get(DOCS_ENV)
    if not value:
        pytest.skip(f"{DOCS_ENV} is not set: point it at Asterisk's ari api-docs (CI does)")
    path = Path(value)
    if not (path / "resources.json").is_file():
        pytest.fail(f"{DOCS_ENV}={value} has no resources.json")
    return path


@pytest.fixture(scope="module")
def operations(api_docs: Path) -> dict[tuple[str, str], dict[str, Any]]:
    ops: dict[tuple[str, str], dict[str, Any]] = {}
    for file in sorted(api_docs.glob("*.json")):
        for api in json.loads(file.read_text()).get("apis", []):
            for op in api.get("operations", []):
                ops[(op["httpMethod"], api["path"])] = op
    return ops


class Models:
    """The api-docs models with inheritance (Message -> Event -> StasisStart ...)."""

    def __init__(self, api_docs: Path) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        for file in sorted(api_docs.glob("*.json")):
            self.models.update(json.loads(file.read_text()).get("models", {}))
        self.parent = {
            child: name for name, m in self.models.items() for child in m.get("subTypes", [])
        }

    def properties(self, name: str) -> dict[str, dict[str, Any]]:
        props: dict[str, dict[str, Any]] = {}
        while name:
            props = {**self.models[name]["properties"], **props}
            name = self.parent.get(name, "")
        return props

    def check(self, name: str, value: Any, where: str = "") -> list[str]:
        where = where or name
        if not isinstance(value, dict):
            return [f"{where}: expected object {name}, got {type(value).__name__}"]
        props = self.properties(name)
        problems = [f"{where}: unknown field '{k}'" for k in value if k not in props]
        for key, spec in props.items():
            if key not in value:
                if spec.get("required"):
                    problems.append(f"{where}: missing required '{key}'")
                continue
            problems += self.check_type(spec["type"], value[key], f"{where}.{key}")
        return problems

    def check_type(self, type_name: str, value: Any, where: str) -> list[str]:
        if type_name.startswith("List[") and type_name.endswith("]"):
            if not isinstance(value, list):
                return [f"{where}: expected a list"]
            return [
                p
                for i, v in enumerate(value)
                for p in self.check_type(type_name[5:-1], v, f"{where}[{i}]")
            ]
        simple = {
            "string": lambda v: isinstance(v, str),
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "object": lambda v: isinstance(v, dict),
            "Date": lambda v: isinstance(v, str) and bool(DATE.match(v)),
        }
        if type_name in simple:
            return [] if simple[type_name](value) else [f"{where}: {value!r} is not {type_name}"]
        return self.check(type_name, value, where)


@pytest.fixture(scope="module")
def models(api_docs: Path) -> Models:
    return Models(api_docs)


# ---- 1. routes ---------------------------------------------------------------------------


def _doc_param(p: dict[str, Any]) -> routes.Param:
    allowed = p.get("allowableValues", {})
    return routes.Param(
        name=p["name"],
        location=p["paramType"],
        required=bool(p.get("required")),
        multiple=bool(p.get("allowMultiple")),
        data_type=p["dataType"],
        allowed=tuple(allowed.get("values", ())),
        minimum=allowed.get("min"),
    )


@pytest.mark.parametrize("route", routes.ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_matches_api_docs(
    route: routes.Route, operations: dict[tuple[str, str], dict[str, Any]]
) -> None:
    op = operations.get((route.method, route.path))
    assert op is not None, f"{route.method} {route.path} is not in the api-docs"
    documented = {p.name: p for p in map(_doc_param, op.get("parameters", []))}
    ours = {p.name: p for p in route.params}
    assert ours == documented


# ---- 2. a journey through the switch -----------------------------------------------------


def _auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}


def _tone(path: Path, seconds: float, freq_hz: float = 800) -> Path:
    t = np.arange(int(seconds * 8000)) / 8000
    path.write_bytes(wav_bytes((5000 * np.sin(2 * np.pi * freq_hz * t)).astype(np.int16)))
    return path


class Journey:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session, self.base = session, base
        self.events: list[dict[str, Any]] = []
        self.bodies: list[tuple[str, Any]] = []  # (model, body)

    async def req(self, method: str, path: str, model: str | None = None, **params: Any) -> Any:
        async with self.session.request(
            method,
            f"{self.base}/ari{path}",
            params={k: str(v) for k, v in params.items()},
            headers=_auth(),
        ) as resp:
            assert resp.status < 300, (method, path, resp.status, await resp.text())
            body = await resp.json() if resp.content_type == "application/json" else None
        if model is not None:
            self.bodies.append((model, body))
        return body

    async def listen(self) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(
            f"{self.base}/ari/events", params={"app": APP}, headers=_auth()
        )
        return ws

    async def collect(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            self.events.append(json.loads(msg.data))

    def seen(self, event_type: str) -> bool:
        return any(e["type"] == event_type for e in self.events)


async def _drive(switch: SandboxSwitch, j: Journey, tmp: Path) -> None:
    import asyncio

    first = await j.listen()
    reader1 = asyncio.create_task(j.collect(first))
    second = await j.listen()  # ApplicationReplaced to the first socket
    reader2 = asyncio.create_task(j.collect(second))
    speech = _tone(tmp / "speech.wav", 0.5)
    call = await switch.place_call(
        scenario_from_dict(
            {
                "dialed": "100",
                "caller": "1",
                "steps": [{"wait_for": "prompt_end"}, {"speak": str(speech)}, {"press": "1#"}],
            }
        )
    )
    await until(lambda: j.seen("StasisStart"), what="StasisStart")
    caller = call.channel_id
    await j.req("POST", f"/channels/{caller}/answer")
    await j.req(
        "POST",
        f"/channels/{caller}/record",
        "LiveRecording",
        name="c",
        format="wav",
        terminateOn="#",
    )
    await j.req("POST", f"/channels/{caller}/play", "Playback", media="sound:p")
    await until(lambda: j.seen("RecordingFinished"), what="RecordingFinished")
    await j.req("POST", "/channels", "Channel", endpoint="PJSIP/8001", app=APP, channelId="ag")
    await until(lambda: len([e for e in j.events if e["type"] == "StasisStart"]) == 2, what="agent")
    await j.req("POST", "/bridges", "Bridge", type="mixing", bridgeId="br")
    await j.req("POST", "/bridges/br/addChannel", channel=f"{caller},ag")
    await j.req("POST", "/bridges/br/removeChannel", channel="ag")
    await j.req("DELETE", "/channels/ag")
    # A Local channel the app originates: its ;2 half sends ChannelCallerId, ChannelDialplan.
    await j.req(
        "POST",
        "/channels",
        "Channel",
        endpoint="Local/8002@agents",
        app=APP,
        channelId="loc",
        callerId="IVR <100>",
    )
    await until(lambda: j.seen("ChannelDialplan"), what="ChannelDialplan")
    await j.req("DELETE", "/channels/loc")
    await j.req("DELETE", f"/channels/{caller}")
    await j.req("DELETE", "/bridges/br")
    await until(lambda: j.seen("BridgeDestroyed"), what="BridgeDestroyed")
    for model, path in (
        ("AsteriskInfo", "/asterisk/info"),
        ("AsteriskPing", "/asterisk/ping"),
        ("Application", f"/applications/{APP}"),
        ("StoredRecording", "/recordings/stored/c"),
    ):
        await j.req("GET", path, model)
    for ws in (first, second):
        await ws.close()
    await asyncio.gather(reader1, reader2)


@pytest.fixture
async def journey(api_docs: Path, tmp_path: Path) -> AsyncIterator[Journey]:
    journey_dir = tmp_path
    sounds = journey_dir / "sounds"
    sounds.mkdir(exist_ok=True)
    _tone(sounds / "p.wav", 0.3)
    recordings = journey_dir / "recording"
    recordings.mkdir(exist_ok=True)
    config = SandboxConfig(
        speed=50,
        sounds_dir=sounds,
        recordings_dir=recordings,
        endpoints={"PJSIP/8001": EndpointBehavior(answer_after_s=1)},
    )
    async with SandboxSwitch(config) as switch, aiohttp.ClientSession() as session:
        j = Journey(session, switch.ari_url)
        await _drive(switch, j, journey_dir)
        yield j


async def test_every_emitted_event_matches_its_model(journey: Journey, models: Models) -> None:
    seen = {e["type"] for e in journey.events}
    assert seen == EMITTED_EVENT_TYPES
    problems = [p for e in journey.events for p in models.check(e["type"], e)]
    assert problems == []


async def test_rest_bodies_match_their_models(journey: Journey, models: Models) -> None:
    assert {m for m, _ in journey.bodies} >= {"Channel", "Playback", "LiveRecording", "Bridge"}
    problems = [p for model, body in journey.bodies for p in models.check(model, body)]
    assert problems == []


# ---- 3. the real captures pass the same validator ----------------------------------------


@pytest.fixture(scope="module")
def samples(api_docs: Path) -> Path:
    path = Path(os.environ.get("IVR_ARI_SAMPLES") or api_docs.parent / "ari-samples")
    if not path.is_dir():
        pytest.skip(f"no ari-samples at {path} (set IVR_ARI_SAMPLES)")
    return path


def test_captured_events_match_models(samples: Path, models: Models) -> None:
    events = [json.loads(p.read_text()) for p in sorted(samples.glob("[A-Z]*.json"))]
    events += [
        json.loads(line)["ev"] for line in (samples / "_events.jsonl").read_text().splitlines()
    ]
    problems = [p for e in events for p in models.check(e["type"], e)]
    assert problems == []
    assert {e["type"] for e in events} >= EMITTED_EVENT_TYPES


@pytest.mark.parametrize(
    ("sample", "model"),
    [
        ("originate_local_main", "Channel"),
        ("play_hello_world", "Playback"),
        ("record_channel", "LiveRecording"),
        ("bridge_create", "Bridge"),
        ("application_after_reconnect", "Application"),
        ("recording_stored", "StoredRecording"),
        ("asterisk_info", "AsteriskInfo"),
        ("asterisk_ping", "AsteriskPing"),
        ("externalMedia_ws_server_slin16", "Channel"),
    ],
)
def test_captured_rest_bodies_match_models(
    samples: Path, models: Models, sample: str, model: str
) -> None:
    body = json.loads((samples / "rest" / f"{sample}.json").read_text())["body"]
    assert models.check(model, body) == []


def test_validator_catches_drift(models: Models) -> None:
    event = {"type": "ChannelDtmfReceived", "timestamp": "2026-11-25 21:30", "digit": 1, "x": 0}
    assert sorted(models.check("ChannelDtmfReceived", event)) == [
        "ChannelDtmfReceived.digit: 1 is not string",
        "ChannelDtmfReceived.timestamp: '2026-11-25 21:30' is not Date",
        "ChannelDtmfReceived: missing required 'application'",
        "ChannelDtmfReceived: missing required 'channel'",
        "ChannelDtmfReceived: missing required 'duration_ms'",
        "ChannelDtmfReceived: unknown field 'x'",
    ]
