"""The call-record journal: an append-only local file of reports not yet written to SQL.

Role: when the write-behind buffer of `ivr.call.records` is full, or the app stops before the
database took everything, the pending reports are appended here, one JSON object per line, and
fsync'd. The writer replays the file (oldest first) before anything newer, and empties it once
every line is written.

Rules:
- Append only; a line is a whole report. A torn last line (a crash during a write) is closed
  with a newline when the journal is opened, then skipped with a warning, never fatal.
- The file holds caller numbers: it is created readable by its owner only (0600).
- Appends and `clear` run in the writer's one journal thread, in order (`ivr.call.records`);
  reads run on the event loop only while no append or clear is in flight, so they never
  interleave; a read stops at the last complete line, and takes a line longer than its size
  whole (else the replay would stand still on it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)


class Journal:
    """One JSON-lines file; `lines` counts lines written and not yet consumed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0  # bytes consumed by the reader
        self._close_torn_line()
        self.lines = self._count()
        try:  # only this object appends: the size is tracked, not asked of the disk each time
            self._size = self.path.stat().st_size
        except FileNotFoundError:
            self._size = 0

    def _close_torn_line(self) -> None:
        try:
            with self.path.open("rb+") as f:
                if f.seek(0, os.SEEK_END) and (f.seek(-1, os.SEEK_END), f.read(1))[1] != b"\n":
                    f.write(b"\n")
                    f.flush()
                    os.fsync(f.fileno())
        except FileNotFoundError:
            pass

    def _count(self) -> int:
        try:
            with self.path.open("rb") as f:
                return sum(1 for line in f if line.endswith(b"\n"))
        except FileNotFoundError:
            return 0

    def size(self) -> int:
        return self._size

    def has_unread(self) -> bool:
        return self.size() > self.offset

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append `records` (one line each) and fsync before returning."""
        if not records:
            return
        data = b"".join(orjson.dumps(r, default=str) + b"\n" for r in records)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        self.lines += len(records)
        self._size += len(data)

    def read(self, limit_bytes: int = 1 << 16) -> list[dict[str, Any]]:
        """The next complete lines after `offset` (about `limit_bytes`, a few batches: it runs
        on the event loop); advances `offset`."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read(limit_bytes)
                while b"\n" not in chunk and (more := f.read(limit_bytes)):
                    chunk += more  # one line longer than the limit: read to its end
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        records: list[dict[str, Any]] = []
        for raw in chunk[: end + 1].splitlines():
            self.lines = max(0, self.lines - 1)
            try:
                record = orjson.loads(raw)
            except orjson.JSONDecodeError:
                log.warning("call-record journal: skipped a damaged line")
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def clear(self) -> None:
        """Empty the file (everything in it is written)."""
        if self.path.exists():
            fd = os.open(self.path, os.O_WRONLY | os.O_TRUNC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self.offset = 0
        self.lines = 0
        self._size = 0
