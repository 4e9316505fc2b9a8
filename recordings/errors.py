"""Errors raised on purpose by the recordings package.

Rules: `recordings` never imports `ivr`, so it has its own base, `RecordingsError`, with the
shapes of `ivr.errors`: a located error reads `path:line:col: message` (1-based) and a loader
reports every error of a file at once (`RecordingsConfigErrors`). The app and the CLI catch
`RecordingsError` next to `IvrError`: a message a person can read, never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class RecordingsError(Exception):
    """Base of every error raised on purpose by `recordings`."""


class RecordingsConfigError(RecordingsError):
    """An error at a position in `config/recordings.yaml`: `path:line:col: message`."""

    def __init__(self, message: str, *, path: Path | str, line: int, column: int) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message


class RecordingsConfigErrors(RecordingsError):
    """Every error found in one recordings config file, one per line, in file order."""

    def __init__(self, errors: list[RecordingsConfigError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class UnknownPurpose(RecordingsError):
    """A recording was opened for a purpose without a retention rule."""

    def __init__(self, purpose: str, known: list[str]) -> None:
        super().__init__(
            f"unknown recording purpose {purpose!r}; known: {', '.join(known)}"
            " (add it under 'retention' in config/recordings.yaml)"
        )
        self.purpose = purpose


class RecordingNotFound(RecordingsError):
    """No index row for an id or name."""

    def __init__(self, key: int | str) -> None:
        super().__init__(f"no recording {key!r}; `ivr recordings list` shows the indexed ones")
        self.key = key


class RecordingUnavailable(RecordingsError):
    """The row exists but its audio cannot be served (not sealed yet, purged, file missing)."""

    def __init__(self, recording_id: int, why: str) -> None:
        super().__init__(f"recording {recording_id} is not available: {why}")
        self.recording_id = recording_id
        self.why = why


class BadWav(RecordingsError):
    """A file that should be a RIFF/WAVE recording is not readable as one."""

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(f"{path}: not a usable WAV recording: {why}")
        self.path = Path(path)
        self.why = why


class AuditReasonMissing(RecordingsError):
    """Listening, downloading, holding and purging all need a stated reason."""

    def __init__(self, action: str) -> None:
        super().__init__(f"a reason is required to {action} a recording (it goes to the audit log)")
        self.action = action
