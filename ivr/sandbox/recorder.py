"""Recordings of the sandbox switch: live recordings, stored files.

Role: `POST /channels/{id}/record` and `/bridges/{id}/record`: `RecordingStarted`, then
`RecordingFinished` when the app stops it, `maxDurationSeconds`/`maxSilenceSeconds` pass, a
`terminateOn` digit arrives, the target goes away, or **no frame arrived for 4 s** (Asterisk's
"No audio available": an ordinary `state: done`; afterwards the live recording answers 404).
A bridge recording is a `Recorder/ARI-...;2` member of the bridge (`BRIDGEPEER`, then
`RecordingStarted`, then `ChannelConnectedLine`; it leaves after `RecordingFinished`). What it
gets is replayed from the media timeline by the `Mixer`: a channel recording gets what the
channel's far end sent (a snoop: a frame every 20 ms), a bridge recording what the bridge
passed to its recorder. Only frames that arrived are written, about 6 dB below the source,
as 8 kHz mono 16-bit WAV at `<recordings_dir>/NAME.wav`; `duration` is whole seconds of
them. A missing recordings dir answers a bare 500 (`docs/asterisk-behaviour.md`, "Recording").

Rules: built on `SwitchCore`; one watcher task per live recording, waking only at its next
deadline; the file is written once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivr.sandbox import audio
from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.hangup import SwitchCore
from ivr.sandbox.mixer import Frames
from ivr.sandbox.model import BridgeId, LiveRecording
from ivr.sandbox.timeline import SLOT_S

NO_AUDIO_S = 4.0  # __ast_play_and_record: two 2 s waits without a frame end the recording
RECORD_GAIN = 0.5  # a recording is about 6 dB below its source
SILENCE_RMS = 256.0  # a frame quieter than this counts as silence (maxSilenceSeconds)


@dataclass(slots=True)
class _Watch:
    """A live recording's file, first slot, and what it received so far (switch seconds)."""

    path: Path
    start: int
    checked: int  # slots before this one are scanned
    last_frame_s: float
    last_sound_s: float
    finished: bool = False


class Recorder:
    """Live and stored recordings."""

    def __init__(self, sw: SwitchCore) -> None:
        self.sw = sw
        self._watches: dict[str, _Watch] = {}

    def record(self, target_uri: str, app: str, p: dict[str, str]) -> Json:
        rec_dir = self.sw.config.recordings_dir
        if rec_dir is None or not rec_dir.is_dir():
            raise AriErrorReply(500, None)  # Asterisk: bare 500 when <spool>/recording is missing
        name, fmt = p["name"], p["format"]
        if fmt != "wav":
            raise AriErrorReply(422, "specified format is unknown on this system")
        if "/" in name or name.startswith("."):
            raise AriErrorReply(400, "Recording name invalid")
        exists = name in self.sw.live_recordings or (rec_dir / f"{name}.wav").exists()
        if exists and (p.get("ifExists", "fail") == "fail" or name in self.sw.live_recordings):
            raise AriErrorReply(
                409, f"Recording '{name}' already exists and can not be overwritten"
            )
        rec = LiveRecording(
            name=name,
            format=fmt,
            target_uri=target_uri,
            app=app,
            max_duration_s=int(p.get("maxDurationSeconds", "0") or 0),
            max_silence_s=int(p.get("maxSilenceSeconds", "0") or 0),
            terminate_on=p.get("terminateOn", "none"),
        )
        self.sw.live_recordings[name] = rec
        body = rec.to_json()
        self.sw.spawn(self._run_recording(rec, rec_dir / f"{name}.wav"), name=f"rec-{name}")
        return body

    def _frames(self, rec: LiveRecording, a: int, b: int) -> Frames:
        kind, _, target = rec.target_uri.partition(":")
        if kind == "bridge":
            return self.sw.mixer.received(target, f"rec:{rec.name}", a, b)
        return self.sw.mixer.channel_output(target, a, b)

    async def _run_recording(self, rec: LiveRecording, path: Path) -> None:
        sw = self.sw
        rec.state = "recording"
        rec.started_s = sw.clock.now_s()
        kind, _, target = rec.target_uri.partition(":")
        bridge = sw.bridges.get(BridgeId(target)) if kind == "bridge" else None
        if bridge is not None:
            rec.recorder = sw.new_member("recorder", f"rec:{rec.name}", "Recorder/ARI")
            sw.join_other(bridge, rec.recorder)
        sw.hub.emit(rec.app, "RecordingStarted", recording=rec.to_json())
        if bridge is not None:
            sw.connected_lines(bridge)
        start = sw.slot(rec.started_s)
        watch = _Watch(path, start, start, rec.started_s, rec.started_s)
        self._watches[rec.name] = watch
        end_s: float | None = None
        while not rec.done.is_set():
            self._scan(rec, watch)
            wake_s = self._next_deadline(rec, watch)
            if wake_s <= sw.clock.now_s():
                end_s = wake_s
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(sw.clock.wall_s(wake_s - sw.clock.now_s())):
                    await rec.done.wait()
        self._finish(rec, watch, end_s)

    def _scan(self, rec: LiveRecording, watch: _Watch) -> None:
        """Note the last frame and the last sound received since the previous scan."""
        now = self.sw.slot()
        if now <= watch.checked:
            return
        frames = self._frames(rec, watch.checked, now)
        present = np.flatnonzero(frames.present)
        if len(present):
            watch.last_frame_s = (watch.checked + int(present[-1]) + 1) * SLOT_S
            rms = np.sqrt(np.mean(frames.pcm[present] ** 2, axis=1)) * RECORD_GAIN
            loud = present[rms > SILENCE_RMS]
            if len(loud):
                watch.last_sound_s = (watch.checked + int(loud[-1]) + 1) * SLOT_S
        watch.checked = now

    @staticmethod
    def _next_deadline(rec: LiveRecording, watch: _Watch) -> float:
        deadlines = [watch.last_frame_s + NO_AUDIO_S]
        if rec.max_duration_s:
            deadlines.append(rec.started_s + rec.max_duration_s)
        if rec.max_silence_s:
            deadlines.append(watch.last_sound_s + rec.max_silence_s)
        return min(deadlines)

    def _finish(self, rec: LiveRecording, watch: _Watch, end_s: float | None) -> None:
        if watch.finished:
            return
        watch.finished = True
        sw = self.sw
        end_s = sw.clock.now_s() if end_s is None else end_s  # the file and the event agree
        sw.live_recordings.pop(rec.name, None)
        self._watches.pop(rec.name, None)
        path = watch.path
        if rec.state == "canceled":
            path.unlink(missing_ok=True)
        else:
            frames = self._frames(rec, watch.start, max(watch.start, sw.slot(end_s)))
            pcm = frames.pcm[frames.present].reshape(-1) * RECORD_GAIN
            samples = np.clip(np.round(pcm), -32768, 32767).astype(np.int16)
            path.write_bytes(audio.wav_bytes(samples))
            rec.duration_s = int(len(samples) / audio.RATE_8K + 1e-9)
            rec.state = "done"
        sw.hub.emit(rec.app, "RecordingFinished", end_s, recording=rec.to_json())
        if rec.recorder is not None:
            bridge_id = rec.target_uri.partition(":")[2]
            bridge = sw.bridges.get(BridgeId(bridge_id))
            if bridge is not None:
                sw.leave_other(bridge, rec.recorder, end_s)
            else:
                sw.timeline.leave(bridge_id, rec.recorder.key, sw.slot(end_s))

    def live_recording(self, name: str) -> LiveRecording:
        rec = self.sw.live_recordings.get(name)
        if rec is None:
            raise AriErrorReply(404, "Recording not found")
        return rec

    def stop_recording(self, name: str, *, cancel: bool = False) -> None:
        """Stop (or cancel) a live recording: `RecordingFinished` before the reply."""
        rec = self.live_recording(name)
        if cancel:
            rec.state = "canceled"
        rec.done.set()
        watch = self._watches.get(name)
        if watch is not None:
            self._finish(rec, watch, None)

    def stored_path(self, name: str) -> Path:
        rec_dir = self.sw.config.recordings_dir
        path = rec_dir / f"{name}.wav" if rec_dir is not None else None
        if path is None or "/" in name or not path.is_file():
            raise AriErrorReply(404, "Recording not found")
        return path

    def stored_recordings(self) -> list[Json]:
        rec_dir = self.sw.config.recordings_dir
        if rec_dir is None or not rec_dir.is_dir():
            return []
        return [{"name": p.stem, "format": "wav"} for p in sorted(rec_dir.glob("*.wav"))]
