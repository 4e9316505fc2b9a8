"""A conformance capture of a real Asterisk 22.10.1, and the normalisation both sides go through.

A capture `SCENARIO` is three files in `$IVR_ARI_SAMPLES/conformance/`: `SCENARIO.jsonl` (every
event the app received, `{"t", "event"}`), `SCENARIO.full.jsonl` (the same interleaved with the
app's REST calls `{"t", "rest", "params", "status", "body"}` and notes) and
`SCENARIO.extra.json` (roles of the ids, recording figures). `t` is seconds since the scenario
started. The normalisation rules are documented in `test_conformance.py`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ivr.sandbox.audio import read_wav_samples

Json = dict[str, Any]
HEX_SEQ = re.compile(r"-[0-9a-f]{8}(?=;|$|,)")
TRIGGER_TYPES = ("StasisStart", "ChannelDtmfReceived")
TRIGGER_WINDOW_S = 0.05
RACE_WINDOW_S = 0.003
BODY_KEYS = (
    "id",
    "name",
    "state",
    "technology",
    "bridge_type",
    "channels",
    "channel_ids",
    "bridge_ids",
    "target_uri",
    "media_uri",
    "format",
    "message",
)


@dataclass(frozen=True, slots=True)
class RestCall:
    t: float
    method: str
    path: str
    params: dict[str, str]
    status: int
    body: Any


@dataclass(slots=True)
class Capture:
    name: str
    events: list[tuple[float, Json]]
    rest: list[RestCall]
    notes: list[tuple[float, str]]
    roles: dict[str, str]
    files: dict[str, Json] = field(default_factory=dict)  # recording name -> figures

    def trigger_of(self, call: RestCall) -> Json | None:
        """The event the app reacted to with `call`, if any: a `StasisStart` of the channel the
        call acts on, or a digit, received at most 50 ms before the call was sent."""
        targets = {call.path.split("/")[2]} if call.path.startswith("/channels/") else set()
        if call.path.endswith("/addChannel"):
            targets |= set(call.params.get("channel", "").split(","))
        found = None
        for t, event in self.events:
            if event["type"] not in TRIGGER_TYPES or not call.t - TRIGGER_WINDOW_S <= t <= call.t:
                continue
            if event["type"] == "ChannelDtmfReceived" or event["channel"]["id"] in targets:
                found = event
        return found


def load_capture(folder: Path, name: str) -> Capture:
    events = [
        (float(d["t"]), d["event"])
        for d in map(json.loads, (folder / f"{name}.jsonl").read_text().splitlines())
    ]
    rest, notes = [], []
    for line in (folder / f"{name}.full.jsonl").read_text().splitlines():
        d = json.loads(line)
        if "rest" in d:
            method, path = d["rest"].split(" ", 1)
            rest.append(RestCall(d["t"], method, path, d["params"], d["status"], d["body"]))
        elif "note" in d:
            notes.append((float(d["t"]), d["note"]))
    extra = json.loads((folder / f"{name}.extra.json").read_text())
    capture = Capture(name, events, sorted(rest, key=lambda r: r.t), notes, extra["roles"])
    for key, figures in extra.items():
        if key == "file":
            fetched = [r.path for r in capture.rest if r.path.endswith("/file")]
            capture.files[fetched[0].split("/")[3]] = figures
        elif key.startswith("file_"):
            capture.files[key.removeprefix("file_")] = figures
    return capture


# ---- normalisation -----------------------------------------------------------------------


class Normaliser:
    """Ids to roles, channel names without sequence numbers (see `test_conformance.py`)."""

    def __init__(self, capture: Capture) -> None:
        self.roles = dict(capture.roles)
        for cid, role in capture.roles.items():
            self.roles[f"{cid};2"] = f"{role};2"
        self.prefix = capture.name  # ids the scenario chose (S6a-l2, S6-p1, ...)

    def id(self, value: str) -> str | None:
        if value in self.roles:
            return self.roles[value]
        return value if value.startswith(self.prefix) else None  # others: Asterisk's own

    def ids(self, values: list[str]) -> list[str]:
        return [i for i in (self.id(v) for v in values) if i is not None]

    @staticmethod
    def name(value: str) -> str:
        return HEX_SEQ.sub("-N", value)

    def event(self, event: Json) -> Json:
        kind = event["type"]
        out: Json = {"type": kind}
        channel = event.get("channel") or event.get("peer")
        if channel is not None:
            out["channel"] = self.id(channel["id"])
            out["state"] = channel["state"]
        for key in ("cause", "soft", "digit", "duration_ms", "args", "dialstatus", "variable"):
            if key in event:
                out[key] = event[key]
        if "value" in event:
            out["value"] = self.name(event["value"])
        if kind == "ChannelDialplan":
            out["app"] = (event["dialplan_app"], event["dialplan_app_data"])
        if kind == "ChannelCallerId":
            out["caller"] = event["channel"]["caller"]["number"]
        if kind == "ChannelConnectedLine":
            out["connected"] = event["channel"]["connected"]["number"]
        if "bridge" in event:
            bridge = event["bridge"]
            out["bridge"] = (self.id(bridge["id"]), bridge["technology"])
            out["members"] = self.ids(bridge["channels"])
        if "playback" in event:
            pb = event["playback"]
            kind_, _, target = pb["target_uri"].partition(":")
            out["playback"] = (self.id(pb["id"]), pb["state"], pb["media_uri"])
            out["target"] = f"{kind_}:{self.id(target)}"
        if "recording" in event:
            rec = event["recording"]
            kind_, _, target = rec["target_uri"].partition(":")
            out["recording"] = (rec["name"], rec["state"])  # duration: with the file
            out["target"] = f"{kind_}:{self.id(target)}"
        return out

    def body(self, body: Any) -> Any:
        if isinstance(body, list):
            items = [self.body(b) for b in body]
            return sorted(items, key=lambda b: str(b.get("id")) if isinstance(b, dict) else "")
        if not isinstance(body, dict):
            return None  # files are compared as recordings; no body, none
        out = {k: body[k] for k in BODY_KEYS if k in body}
        if "name" in out:
            out["name"] = self.name(out["name"])
        for key in ("channels", "channel_ids", "bridge_ids"):
            if key in out:
                out[key] = self.ids(out[key])
        return out


def settle_races(events: list[tuple[float, Json]]) -> list[tuple[float, Json]]:
    """A `ChannelConnectedLine` and the `RecordingStarted`/`PlaybackStarted` of the member
    whose arrival caused it race inside Asterisk: put the Started event first."""
    out = list(events)
    for i in range(len(out) - 1):
        (t1, a), (t2, b) = out[i], out[i + 1]
        if (
            a["type"] == "ChannelConnectedLine"
            and b["type"] in ("RecordingStarted", "PlaybackStarted")
            and abs(t2 - t1) <= RACE_WINDOW_S
        ):
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


# ---- recordings --------------------------------------------------------------------------


def _rms(x: npt.NDArray[np.float64]) -> int:
    return round(float(np.sqrt(np.mean(x**2)))) if len(x) else 0


def wav_figures(data: bytes, *, shift_s: float = 0.0, edge_s: float = 0.0) -> Json:
    """Duration and RMS per second (the last, partial second included) of a WAV file; with
    `shift_s`, the seconds start that much later in the file (`rms_per_s`), and
    `core_rms_per_s` leaves out `edge_s` at either end of each second."""
    samples, rate = read_wav_samples(data)
    x = samples.astype(np.float64)
    shift, edge = int(shift_s * rate), int(edge_s * rate)
    starts = [i + shift for i in range(0, len(x), rate)]
    return {
        "rate": rate,
        "duration_s": round(len(x) / rate, 3),
        "rms_per_s": [_rms(x[max(0, i) : max(0, i + rate)]) for i in starts],
        "core_rms_per_s": [_rms(x[max(0, i + edge) : max(0, i + rate - edge)]) for i in starts],
    }


def recording_times(events: list[tuple[float, Json]]) -> dict[str, tuple[float, float]]:
    """Recording name -> `t` of its `RecordingStarted` and of its `RecordingFinished`."""
    started: dict[str, float] = {}
    times: dict[str, tuple[float, float]] = {}
    for t, event in events:
        if event["type"] == "RecordingStarted":
            started[event["recording"]["name"]] = t
        elif event["type"] == "RecordingFinished":
            name = event["recording"]["name"]
            times[name] = (started.get(name, t), t)
    return times


def finished_durations(events: list[tuple[float, Json]]) -> dict[str, int]:
    """Recording name -> the `duration` its `RecordingFinished` reported."""
    return {
        e["recording"]["name"]: e["recording"].get("duration", -1)
        for _, e in events
        if e["type"] == "RecordingFinished"
    }
