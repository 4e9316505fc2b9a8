"""Errors raised on purpose. Everything a person will read descends from `IvrError`.

Rules: an input error says *where* (file:line:col or field) and *what would fix it*.
Adapters translate foreign exceptions at their boundary (ARI 404 -> `ChannelGone`, ...).
"""

from __future__ import annotations

from pathlib import Path


class IvrError(Exception):
    """Base of every error raised on purpose by futures-ivr."""


class ConfigError(IvrError):
    """Bad settings or configuration data; the message names the file:line or field."""


class LocatedError(IvrError):
    """An input error at a position in a file: `path:line:col: message`."""

    def __init__(self, message: str, *, path: Path | str, line: int, column: int) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message


class ErrorList(IvrError):
    """Several located errors of one file (or set of files), reported together."""

    def __init__(self, errors: list[LocatedError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
