"""Errors raised on purpose by the recordings package.

Rules: `recordings` never imports `ivr`; `RecordingsError` subclasses the shared base
`errorbase.IvrError`, so the app and the CLI catch it with everything else: a message a person
can read, never a traceback. Located and list errors reuse the shared shapes (`path:line:col:
message`, every error of a file at once). Errors a client can cause carry a kind and a stable
`code` (`RecordingNotFound` is a `NotFound`, `RecordingUnavailable` a `Conflict`,
`AuditReasonMissing` an `InputError`); callers match on types, never on message text.
"""

from __future__ import annotations

from pathlib import Path

from errorbase import Conflict, ErrorList, InputError, IvrError, LocatedError, NotFound


class RecordingsError(IvrError):
    """Base of every error raised on purpose by `recordings`."""

    code = "recordings-error"


class RecordingsConfigError(LocatedError, RecordingsError):
    """An error at a position in `config/recordings.yaml`: `path:line:col: message`."""

    code = "recordings-config-error"


class RecordingsConfigErrors(ErrorList, RecordingsError):
    """Every error found in one recordings config file, one per line, in file order."""

    code = "recordings-config-errors"


class UnknownPurpose(RecordingsError):
    """A recording was opened for a purpose without a retention rule."""

    code = "unknown-purpose"

    def __init__(self, purpose: str, known: list[str]) -> None:
        super().__init__(
            f"unknown recording purpose {purpose!r}; known: {', '.join(known)}"
            " (add it under 'retention' in config/recordings.yaml)",
            details={"purpose": purpose},
        )
        self.purpose = purpose


class RecordingNotFound(RecordingsError, NotFound):
    """No index row for an id or name."""

    code = "recording-not-found"

    def __init__(self, key: int | str) -> None:
        super().__init__(
            f"no recording {key!r}; `ivr recordings list` shows the indexed ones",
            details={"recording_id": key},
        )
        self.key = key


class RecordingUnavailable(RecordingsError, Conflict):
    """The row exists but its audio cannot be served (not sealed yet, purged, file missing)."""

    code = "recording-unavailable"

    def __init__(self, recording_id: int, why: str) -> None:
        super().__init__(
            f"recording {recording_id} is not available: {why}",
            details={"recording_id": recording_id},
        )
        self.recording_id = recording_id
        self.why = why


class BadWav(RecordingsError):
    """A file that should be a RIFF/WAVE recording is not readable as one."""

    code = "bad-wav"

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(f"{path}: not a usable WAV recording: {why}")
        self.path = Path(path)
        self.why = why


class AuditReasonMissing(RecordingsError, InputError):
    """Listening, downloading, holding and purging all need a stated reason."""

    code = "reason-required"

    def __init__(self, action: str) -> None:
        super().__init__(
            f"a reason is required to {action} a recording (it goes to the audit log)",
            details={"field": "reason"},
        )
        self.action = action
