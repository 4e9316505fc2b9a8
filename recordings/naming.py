"""Recording names and the storage layout (pure: no I/O, no clock).

Rules:
- A recording is named `<call_id>-<purpose>-<n>`: the name Asterisk records under
  (`POST /channels|bridges/{id}/record?name=...`, file `<spool>/recording/<name>.wav`) and the
  unique key of its index row. `n` counts the recordings of one call and purpose from 1 (a
  transfer that needs a new bridge recording gets n+1).
- Stored files live under the storage root by the *local* date the recording started:
  `YYYY/MM/DD/<name>.wav`.
- Call ids and purposes are restricted to characters safe in a file name and an ARI query;
  anything else is refused (no path traversal through a call id).
- Account numbers are stored masked (`****1234`): the full number never reaches the index.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import PurePosixPath
from typing import NewType

from recordings.errors import RecordingsError

RecordingId = NewType("RecordingId", int)

CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._]{0,63}\Z")
PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
NAME = re.compile(
    r"(?P<call_id>[A-Za-z0-9][A-Za-z0-9._]{0,63})-(?P<purpose>[a-z][a-z0-9_]{0,31})-(?P<n>[1-9][0-9]{0,5})\Z"
)
LAYOUT = re.compile(r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)\.wav\Z")


class Source(StrEnum):
    """What Asterisk records: one channel, a bridge, or a snoop on the caller (everything the
    caller hears and says, through bridges, holds and transfers: the call recording)."""

    CHANNEL = "channel"
    BRIDGE = "bridge"
    SNOOP = "snoop"


class RecordingStatus(StrEnum):
    RECORDING = "recording"  # opened, Asterisk is writing; no hash yet
    SEALED = "sealed"  # file in the layout, sha256 fixed forever
    PURGED = "purged"  # retention over: file deleted, row kept


def check_call_id(call_id: str) -> str:
    if not CALL_ID.match(call_id):
        raise RecordingsError(
            f"call id {call_id!r} cannot name a recording: use letters, digits, '.' or '_'"
            " (at most 64, no '-' or '/')"
        )
    return call_id


def check_purpose(purpose: str) -> str:
    if not PURPOSE.match(purpose):
        raise RecordingsError(f"purpose {purpose!r} must be lowercase letters, digits or '_'")
    return purpose


def recording_name(call_id: str, purpose: str, n: int) -> str:
    """`<call_id>-<purpose>-<n>`, e.g. `c0ffee.1-emergency-1`."""
    if n < 1:
        raise RecordingsError(f"recording number must be 1 or more (got {n})")
    return f"{check_call_id(call_id)}-{check_purpose(purpose)}-{n}"


def parse_name(name: str) -> tuple[str, str, int] | None:
    """(call_id, purpose, n) of a recording name, or None if `name` is not one of ours."""
    match = NAME.match(name)
    if match is None:
        return None
    return match["call_id"], match["purpose"], int(match["n"])


def storage_relpath(name: str, local_day: date) -> PurePosixPath:
    """`YYYY/MM/DD/<name>.wav` relative to the storage root."""
    return PurePosixPath(f"{local_day:%Y/%m/%d}/{name}.wav")


def is_layout_path(relpath: PurePosixPath | str) -> bool:
    """True for `YYYY/MM/DD/<something>.wav` (files the index may own)."""
    return LAYOUT.match(str(relpath)) is not None


def mask_account(account: str | None) -> str | None:
    """`****` + the last 4 characters (or `****` alone for 6 or fewer); None or blank: None.
    The project's one masking policy (`ivr.engine.masking.mask_account`), kept equal by a test."""
    text = (account or "").strip()
    if not text:
        return None
    tail = text[-4:] if len(text) > 6 else ""
    return f"****{tail}"
