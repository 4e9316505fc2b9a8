"""Recordings of the sandbox switch: live recordings, stored files.

Role: `POST /channels/{id}/record` and `/bridges/{id}/record`: `RecordingStarted`, then
`RecordingFinished` when `maxDurationSeconds`/`maxSilenceSeconds` pass, a `terminateOn` digit
arrives, the target hangs up or the app stops it. Only frames actually received are written
(8 kHz mono 16-bit WAV at `<recordings_dir>/NAME.wav`); a bridge recording mixes its parties;
`duration` is whole seconds of audio. A missing recordings dir answers a bare 500
(`docs/asterisk-behaviour.md`, "Recording").

Rules: built on `SwitchState`; file writes are small and happen once per recording.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import numpy as np

from ivr.sandbox import audio
from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.model import LiveRecording
from ivr.sandbox.state import SwitchState


class Recorder:
    """Live and stored recordings."""

    def __init__(self, sw: SwitchState) -> None:
        self.sw = sw

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

    async def _run_recording(self, rec: LiveRecording, path: Path) -> None:
        rec.state = "recording"
        rec.last_audio_s = self.sw.clock.now_s()
        started_s = rec.last_audio_s
        self.sw.hub.emit(rec.app, "RecordingStarted", recording=rec.to_json())
        while not rec.done.is_set():
            limit_s = self._recording_wait_s(rec, started_s)
            if limit_s is not None and limit_s <= 0:
                break
            timeout = None if limit_s is None else self.sw.clock.wall_s(limit_s)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await rec.done.wait()
        self._finish_recording(rec, path)

    def _recording_wait_s(self, rec: LiveRecording, started_s: float) -> float | None:
        now = self.sw.clock.now_s()
        limits = []
        if rec.max_duration_s:
            limits.append(started_s + rec.max_duration_s - now)
        if rec.max_silence_s:
            limits.append(rec.last_audio_s + rec.max_silence_s - now)
        return min(limits) if limits else None

    def _finish_recording(self, rec: LiveRecording, path: Path) -> None:
        self.sw.live_recordings.pop(rec.name, None)
        if rec.state == "canceled":
            path.unlink(missing_ok=True)
        else:
            frames = [audio.mix(rec.slots[s]) for s in sorted(rec.slots)]
            samples = np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)
            path.write_bytes(audio.wav_bytes(samples))
            rec.duration_s = int(len(samples) / audio.RATE_8K)
            rec.state = "done"
        self.sw.hub.emit(rec.app, "RecordingFinished", recording=rec.to_json())

    def live_recording(self, name: str) -> LiveRecording:
        rec = self.sw.live_recordings.get(name)
        if rec is None:
            raise AriErrorReply(404, "Recording not found")
        return rec

    def stop_recording(self, name: str, *, cancel: bool = False) -> None:
        rec = self.live_recording(name)
        if cancel:
            rec.state = "canceled"
        rec.done.set()

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
