"""Errors raised on purpose by the queueing package.

Rules: `queueing` never imports `ivr`, so it has its own base, `QueueingError`, with the same
shapes as `ivr.errors`: a located error reads `path:line:col: message` (1-based positions) and
a loader reports every error of a file at once in `QueueConfigErrors`. The app may catch
`QueueingError` next to `IvrError`: both carry a message a person can read, never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class QueueingError(Exception):
    """Base of every error raised on purpose by `queueing`."""


class QueueConfigError(QueueingError):
    """An error at a position in a queue definitions file: `path:line:col: message`."""

    def __init__(self, message: str, *, path: Path | str, line: int, column: int) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message


class QueueConfigErrors(QueueingError):
    """Every error found in one queue definitions file, one per line, in file order."""

    def __init__(self, errors: list[QueueConfigError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class QueueStoreError(QueueingError):
    """The queue store refused an operation (unknown agent or call, wrong state)."""
