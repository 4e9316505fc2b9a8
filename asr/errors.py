"""Errors of the speech package. Everything raised on purpose descends from `AsrError`.

Rules: `asr` never imports `ivr`; `AsrError` subclasses the shared base `errorbase.IvrError`,
so the app and the CLI catch it with everything else (the app maps it to a start-up message or
a DTMF-only fallback). A message says *what* is wrong, *where* (path, setting key) and *what
would fix it*; never a traceback to a caller.
"""

from __future__ import annotations

from pathlib import Path

from errorbase import IvrError


class AsrError(IvrError):
    """Base of every error raised on purpose by the `asr` package."""

    code = "asr-error"


class ModelUnavailable(AsrError):
    """A configured Vosk model is missing or unreadable; the message names the path and the fix."""

    code = "model-unavailable"

    def __init__(self, language: str, path: Path, reason: str) -> None:
        super().__init__(
            f"speech model for {language!r} at {path}: {reason}; install it (see docs/asr.md) "
            f"or remove asr.models.{language} from the settings to run this language DTMF-only",
            details={"language": language, "path": str(path)},
        )
        self.language = language
        self.path = path
        self.reason = reason


class UnknownLanguage(AsrError):
    """No model is configured for the language a menu asked for."""

    code = "unknown-language"

    def __init__(self, language: str, configured: list[str]) -> None:
        names = ", ".join(sorted(configured)) or "none"
        super().__init__(
            f"no speech model configured for language {language!r} (configured: {names}); "
            f"add asr.models.{language} to the settings",
            details={"language": language},
        )
        self.language = language


class MediaProtocolError(AsrError):
    """The media websocket or RTP stream broke its protocol (bad first message, bad frame)."""

    code = "media-protocol-error"
