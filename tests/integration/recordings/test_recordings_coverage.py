"""Call spans on the index: `verify` reports files without audio and calls their recordings do
not cover; `coverage` lists every closed call with its figures (real SQLite, real files)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from recordings import (
    EmptyRecording,
    RecordingId,
    RecordingIndex,
    ShortCoverage,
    Source,
    VerifyProblem,
)

from .conftest import T0, FakeClock, write_wav


async def _record(
    index: RecordingIndex, tmp_path: Path, call: str, seconds: float, *, span_from=T0
) -> int:
    rec = await index.open_recording(call, "emergency", source=Source.SNOOP, covers_from=span_from)
    path = write_wav(tmp_path / "in" / f"{rec.name}.wav", seconds)
    return int((await index.seal(rec.name, path)).id)


async def test_a_header_only_file_for_a_two_minute_call_is_empty(
    index: RecordingIndex, tmp_path: Path
) -> None:
    rid = await _record(index, tmp_path, "call1", 0)
    assert await index.close_span("call1", "emergency", T0 + timedelta(seconds=120)) == 1
    rec = await index.get(rid)
    assert (rec.size_bytes, rec.duration_ms, rec.covers_to) == (44, 0, T0 + timedelta(seconds=120))
    problems = await index.verify()
    assert problems == [EmptyRecording(RecordingId(rid), index.path_of(rec), 44)]
    assert problems[0].line() == f"EMPTY {rid} {index.path_of(rec)}: no audio (44-byte file)"


async def test_a_short_call_recording_and_linked_parts(
    index: RecordingIndex, tmp_path: Path
) -> None:
    short = await _record(index, tmp_path, "call2", 12.0)
    await index.close_span("call2", "emergency", T0 + timedelta(seconds=118.4))
    first = await _record(index, tmp_path, "call3", 6.0)
    second = await _record(index, tmp_path, "call3", 114.0)
    await index.close_span("call3", "emergency", T0 + timedelta(seconds=120))
    problems = await index.verify()
    assert [p.line() for p in problems] == ["SHORT 1: covers 12.0 s of a 118.4 s call"]
    assert isinstance(problems[0], ShortCoverage)
    assert problems[0].coverage.recording_ids == (short,)
    calls = await index.coverage()
    assert [(c.call_id, c.recording_ids, c.covered_s) for c in calls] == [
        ("call2", (short,), 12.0),
        ("call3", (first, second), 120.0),
    ]
    assert [(await index.get(i)).name for i in (first, second)] == [
        "call3-emergency-1",
        "call3-emergency-2",
    ]


async def test_a_closed_span_is_not_moved_and_since_filters(
    index: RecordingIndex, tmp_path: Path, clock: FakeClock
) -> None:
    await _record(index, tmp_path, "old", 5.0)
    assert await index.close_span("old", "emergency", T0 + timedelta(seconds=5)) == 1
    assert await index.close_span("old", "emergency", T0 + timedelta(seconds=500)) == 0
    later = T0 + timedelta(days=1)
    await _record(index, tmp_path, "new", 1.0, span_from=later)
    await index.close_span("new", "emergency", later + timedelta(seconds=60))
    assert [c.call_id for c in await index.coverage(since=later)] == ["new"]
    assert [c.span_s for c in await index.coverage()] == [5.0, 60.0]


async def test_tampering_is_still_a_mismatch_not_empty(
    index: RecordingIndex, tmp_path: Path
) -> None:
    rid = await _record(index, tmp_path, "call4", 0)
    rec = await index.get(rid)
    path = index.path_of(rec)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"\0\0")
    [problem] = await index.verify()
    assert isinstance(problem, VerifyProblem)
    assert problem.recording_id == rid


async def test_span_columns_survive_the_seal_trigger(
    index: RecordingIndex, engine: AsyncEngine, tmp_path: Path
) -> None:
    rid = await _record(index, tmp_path, "call5", 3.0)
    await index.close_span("call5", "emergency", T0 + timedelta(seconds=3))
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT covers_from, covers_to FROM recordings"))).one()
    assert row[0] is not None
    assert row[1] is not None
    assert (await index.get(rid)).covers_from == T0
