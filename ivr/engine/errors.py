"""Errors of the flow engine: `FlowError` is one located problem in a flow file.

Loaders and the validator collect every `FlowError` of a file and raise them together as an
`ivr.errors.ErrorList`, printed as `path:line:col: message` lines. Positions are 1-based.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from ivr.errors import LocatedError


class FlowError(LocatedError):
    """One problem in a flow file: `path:line:col: message`."""

    def __init__(self, message: str, *, path: Path | str, line: int, column: int) -> None:
        super().__init__(message, path=path, line=line, column=column)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
