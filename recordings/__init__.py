"""Compliant call recordings: naming and retention (pure), the SQL index, storage and audit.

Public API: `RecordingIndex` (open/seal/pick_up/search/verify/orphans/purge/holds/access),
`load_recordings_config`, the row types and the errors (base `RecordingsError`). This package
never imports `ivr`; the app wires it (see docs/recordings.md).
"""

from recordings.config import RecordingsConfig, load_recordings_config, parse_recordings_config
from recordings.coverage import CallCoverage
from recordings.errors import (
    AuditReasonMissing,
    BadWav,
    RecordingNotFound,
    RecordingsConfigError,
    RecordingsConfigErrors,
    RecordingsError,
    RecordingUnavailable,
    UnknownPurpose,
)
from recordings.index import RecordingIndex
from recordings.models import metadata
from recordings.naming import RecordingId, RecordingStatus, Source, mask_account
from recordings.retention import RetentionPolicy, RetentionRule
from recordings.values import (
    AuditAction,
    AuditEntry,
    EmptyRecording,
    Orphans,
    PickUpResult,
    Problem,
    Recording,
    ShortCoverage,
    VerifyProblem,
)

__all__ = [
    "AuditAction",
    "AuditEntry",
    "AuditReasonMissing",
    "BadWav",
    "CallCoverage",
    "EmptyRecording",
    "Orphans",
    "PickUpResult",
    "Problem",
    "Recording",
    "RecordingId",
    "RecordingIndex",
    "RecordingNotFound",
    "RecordingStatus",
    "RecordingUnavailable",
    "RecordingsConfig",
    "RecordingsConfigError",
    "RecordingsConfigErrors",
    "RecordingsError",
    "RetentionPolicy",
    "RetentionRule",
    "ShortCoverage",
    "Source",
    "UnknownPurpose",
    "VerifyProblem",
    "load_recordings_config",
    "mask_account",
    "metadata",
    "parse_recordings_config",
]
