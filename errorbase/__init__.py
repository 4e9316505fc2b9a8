"""The one error base of futures-ivr: everything raised on purpose descends from `IvrError`.

Owns the base, the kinds and the located-error shapes; nothing else. Must not import any
package of ours (`ivr`, `asr`, `queueing`, `recordings` all subclass it without importing each
other) nor any I/O library: stdlib only.

An error carries three things:
- its message (`str(exc)`), for a person: what is wrong, where, and what would fix it;
- `code`, a stable kebab-case id a program may branch on (a class attribute, overridable per
  instance with `code=`);
- `details`, a JSON-able mapping naming the ids or fields concerned.

Kinds say what sort of failure an error is, so a boundary maps it by type without knowing the
package that raised it: `InputError` (bad input), `Forbidden`, `NotFound`, `Conflict` (the
state refuses the operation) and `Unavailable` (a backend is down; its message is for the log,
clients read `public_message`). A package error subclasses its package base and at most one
kind, e.g. `class AgentBusy(QueueStoreError, Conflict)`. Callers match on types, never on
message text. A located input error reads `path:line:col: message` (1-based positions) and a
loader reports every error of a file at once in an `ErrorList`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

__all__ = [
    "KINDS",
    "ConfigError",
    "Conflict",
    "ErrorList",
    "Forbidden",
    "InputError",
    "IvrError",
    "LocatedError",
    "NotFound",
    "Unavailable",
]


class IvrError(Exception):
    """Base of every error raised on purpose by futures-ivr (and its domain packages)."""

    code: str = "error"

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details: dict[str, object] = dict(details or {})


class InputError(IvrError):
    """The input (a request, an argument, a value) is wrong; the message says how to fix it."""

    code = "invalid-input"


class Forbidden(IvrError):
    """The caller may not do this."""

    code = "forbidden"


class NotFound(IvrError):
    """The thing named does not exist."""

    code = "not-found"


class Conflict(IvrError):
    """The current state refuses the operation (busy, already done, wrong state)."""

    code = "conflict"


class Unavailable(IvrError):
    """A backend is down or refused; `str(exc)` is for the log, `public_message` for clients."""

    code = "unavailable"
    public_message: ClassVar[str] = "A service the request needs is unavailable"


KINDS: tuple[type[IvrError], ...] = (InputError, Forbidden, NotFound, Conflict, Unavailable)


class ConfigError(IvrError):
    """Bad settings or configuration data; the message names the file:line or field."""

    code = "config-error"


class LocatedError(IvrError):
    """An input error at a position in a file: `path:line:col: message` (1-based)."""

    code = "file-error"

    def __init__(self, message: str, *, path: Path | str, line: int, column: int) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message


class ErrorList(IvrError):
    """Several located errors of one file (or set of files), one per line, reported together."""

    code = "file-errors"

    def __init__(self, errors: Sequence[LocatedError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors: list[LocatedError] = list(errors)
