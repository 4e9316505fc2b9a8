"""`Journal.read`: complete lines only, a few at a time, and a line longer than a read whole."""

from __future__ import annotations

from pathlib import Path

from ivr.call.record_journal import Journal


def test_reads_complete_lines_in_steps_and_a_long_line_whole(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "calls.jsonl")
    long_detail = "x" * 300  # one record longer than the read size below
    journal.append([{"kind": "start", "n": 1}, {"kind": "trace", "text": long_detail}])
    journal.append([{"kind": "ended", "n": 3}])
    assert journal.read(limit_bytes=64) == [{"kind": "start", "n": 1}]  # the next is longer
    seen = []
    for _ in range(5):  # the old read returned nothing here, again and again: replay stood still
        seen += journal.read(limit_bytes=64)
    assert seen == [{"kind": "trace", "text": long_detail}, {"kind": "ended", "n": 3}]
    assert not journal.has_unread()
    assert journal.lines == 0
