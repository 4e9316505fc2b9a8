"""`recordings.coverage`: how much of a call its recordings hold (pure, exact figures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recordings.coverage import CallCoverage, Part, coverage_of, empty_line
from recordings.naming import RecordingId

T0 = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def part(rid: int, ms: int, *, call: str = "c1", span_s: float | None = 118.4) -> Part:
    end = None if span_s is None else T0 + timedelta(seconds=span_s)
    return Part(RecordingId(rid), call, "emergency", ms, T0, end)


def test_one_short_recording_is_reported_with_its_figures() -> None:
    [call] = coverage_of([part(7, 12_000)])
    assert (call.covered_s, call.span_s, call.recording_ids) == (12.0, 118.4, (7,))
    assert call.is_short()
    assert call.short_line() == "SHORT 7: covers 12.0 s of a 118.4 s call"


def test_parts_add_up_and_name_the_first_part() -> None:
    [call] = coverage_of([part(9, 60_000), part(8, 58_000)])
    assert call.recording_ids == (8, 9)
    assert call.covered_s == 118.0
    assert not call.is_short()
    [call] = coverage_of([part(8, 20_000), part(9, 30_000)])
    assert call.short_line() == "SHORT 8: covers 50.0 s of a 118.4 s call in 2 parts"


def test_95_percent_and_a_one_second_grace() -> None:
    assert not coverage_of([part(1, 112_480)])[0].is_short()  # 95.0 %
    assert coverage_of([part(1, 112_470)])[0].is_short()  # 94.99 %, 5.9 s missing
    assert not coverage_of([part(1, 2_100, span_s=3.0)])[0].is_short()  # 70 %, 0.9 s missing
    assert coverage_of([part(1, 1_900, span_s=3.0)])[0].is_short()  # 1.1 s missing


def test_open_spans_and_rows_without_a_span_are_not_judged() -> None:
    no_span = Part(RecordingId(3), "c3", "voice_message", 0, None, None)
    assert coverage_of([part(1, 0, span_s=None), no_span]) == []


def test_calls_are_kept_apart_and_sorted_by_start() -> None:
    late = Part(
        RecordingId(5), "c2", "emergency", 1000, T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    )
    calls = coverage_of([late, part(4, 118_400)])
    assert [c.call_id for c in calls] == ["c1", "c2"]
    assert calls[0].ratio == 1.0
    assert calls[1].report_line() == (
        "2026-12-05T03:00:00+00:00 call c2 emergency: 1.0 s of 3600.0 s (0%) recordings 5"
    )


def test_a_zero_span_is_fully_covered() -> None:
    call = CallCoverage("c", "emergency", (RecordingId(1),), 0.0, 0.0, T0)
    assert call.ratio == 1.0
    assert not call.is_short()


def test_empty_line() -> None:
    assert empty_line(RecordingId(4), "/r/x.wav", 44) == "EMPTY 4 /r/x.wav: no audio (44-byte file)"
