"""How much of a call its recordings hold: the pure rule behind `verify` and `coverage`.

A recording that must be kept is opened with the span of the call it is meant to cover
(`covers_from`, the moment the call became recordable, usually the answer) and closed with the
call's end (`covers_to`). A call may have several numbered parts (`-1`, `-2`, ...) when a
recording ended by itself and the watchdog started the next one. The parts of one call and
purpose cover `sum(duration of parts)` seconds of a `covers_to - covers_from` second call.

Rules (pure: rows in, verdicts out; no clock, no I/O):
- A call is SHORT when its parts cover less than `min_ratio` (95 %) of the span and more than
  `grace_s` (1 s) is missing (a recording starts a few milliseconds after the answer; a 3 s call
  must not be reported for 0.2 s).
- A sealed file without audio (no data bytes) is EMPTY, whatever its span: a WAV header alone
  proves nothing.
- Calls whose span is still open (no `covers_to`) or rows without a span (recordings made
  before spans existed, voice messages) are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from recordings.naming import RecordingId

MIN_RATIO = 0.95
GRACE_S = 1.0


@dataclass(frozen=True, slots=True)
class Part:
    """What coverage needs of one sealed recording."""

    recording_id: RecordingId
    call_id: str
    purpose: str
    duration_ms: int
    covers_from: datetime | None
    covers_to: datetime | None


@dataclass(frozen=True, slots=True)
class CallCoverage:
    """The recordings of one call and purpose, against the span they had to cover."""

    call_id: str
    purpose: str
    recording_ids: tuple[RecordingId, ...]  # in part order
    covered_s: float
    span_s: float
    call_started: datetime

    @property
    def ratio(self) -> float:
        return 1.0 if self.span_s <= 0 else min(1.0, self.covered_s / self.span_s)

    def is_short(self, min_ratio: float = MIN_RATIO, grace_s: float = GRACE_S) -> bool:
        missing = self.span_s - self.covered_s
        return self.ratio < min_ratio and missing > grace_s

    def short_line(self) -> str:
        """`SHORT <id>: covers 12.0 s of a 118.4 s call` (the first part's id)."""
        parts = "" if len(self.recording_ids) == 1 else f" in {len(self.recording_ids)} parts"
        return (
            f"SHORT {self.recording_ids[0]}: covers {self.covered_s:.1f} s of a"
            f" {self.span_s:.1f} s call{parts}"
        )

    def report_line(self) -> str:
        """One line of `ivr recordings coverage`."""
        ids = ",".join(str(i) for i in self.recording_ids)
        return (
            f"{self.call_started.isoformat(timespec='seconds')} call {self.call_id}"
            f" {self.purpose}: {self.covered_s:.1f} s of {self.span_s:.1f} s"
            f" ({self.ratio:.0%}) recordings {ids}"
        )


def empty_line(recording_id: RecordingId, path: object, size_bytes: int | None) -> str:
    size = "" if size_bytes is None else f" ({size_bytes}-byte file)"
    return f"EMPTY {recording_id} {path}: no audio{size}"


def coverage_of(parts: Iterable[Part]) -> list[CallCoverage]:
    """One `CallCoverage` per (call, purpose) whose span is closed, oldest call first."""
    groups: dict[tuple[str, str], list[Part]] = {}
    for part in parts:
        if part.covers_from is not None and part.covers_to is not None:
            groups.setdefault((part.call_id, part.purpose), []).append(part)
    return sorted(
        (_cover(call_id, purpose, group) for (call_id, purpose), group in groups.items()),
        key=lambda c: (c.call_started, c.call_id, c.purpose),
    )


def _cover(call_id: str, purpose: str, group: Sequence[Part]) -> CallCoverage:
    ordered = sorted(group, key=lambda p: p.recording_id)
    start = min(p.covers_from for p in ordered if p.covers_from is not None)
    end = max(p.covers_to for p in ordered if p.covers_to is not None)
    covered = sum(p.duration_ms for p in ordered) / 1000
    return CallCoverage(
        call_id,
        purpose,
        tuple(p.recording_id for p in ordered),
        covered,
        max(0.0, (end - start).total_seconds()),
        start,
    )
