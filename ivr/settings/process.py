"""The process's own settings: `log_level` and `event_loop` (`ivr.app.loop`), their parsers."""

from __future__ import annotations

from ivr.settings.security import BadValue

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EVENT_LOOPS = ("auto", "uvloop", "asyncio")


def _one_of(value: str | None, choices: tuple[str, ...], what: str) -> str:
    if value is None or not value.strip():
        raise BadValue("is empty", "give a value or remove the key")
    text = value.strip()
    text = text.upper() if choices == LOG_LEVELS else text.lower()
    if text not in choices:
        raise BadValue(f"{text!r} is not {what}", f"use one of {', '.join(choices)}")
    return text


def log_level(value: str | None) -> str:
    return _one_of(value, LOG_LEVELS, "a log level")


def event_loop(value: str | None) -> str:
    return _one_of(value, EVENT_LOOPS, "an event loop")
