"""Fixtures of the recordings tests: a migrated SQLite file, a storage root, a spool, a clock."""

from __future__ import annotations

import io
import os
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.store import create_engine, migrate_engine
from recordings import RecordingIndex, load_recordings_config

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@dataclass
class FakeClock:
    at: datetime = T0

    def now(self) -> datetime:
        return self.at


def wav_bytes(seconds: float, rate: int = 8000, level: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(level.to_bytes(2, "little", signed=True) * int(seconds * rate))
    return buffer.getvalue()


def write_wav(path: Path, seconds: float, *, level: int = 1, mtime: datetime | None = None) -> Path:
    """An 8 kHz mono 16-bit WAV as Asterisk writes it; `mtime` back-dates the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(seconds, level=level))
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    await migrate_engine(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def storage_root(tmp_path: Path) -> Path:
    return tmp_path / "recordings"


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    path = tmp_path / "spool" / "recording"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def index(engine: AsyncEngine, storage_root: Path, clock: FakeClock) -> RecordingIndex:
    config = load_recordings_config(ROOT / "config" / "recordings.yaml")
    return RecordingIndex(engine, storage_root, config, now=clock.now)
