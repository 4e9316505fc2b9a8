"""Speech models: one Vosk model per language, loaded once per process and shared.

Rules: paths come from settings (`asr.models.<language>`), never from the environment here.
`check()` at start-up reports every missing or unreadable model as a `ModelUnavailable` naming
the path and the fix; such a language is then unavailable and its menus run DTMF-only
(`available(language)` is False) instead of failing calls. Loading is lazy and thread-safe: the
first `get()` loads (seconds, off the event loop via `aget()`), concurrent callers wait for the
same load, later callers share the result.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from asr.errors import AsrError, ModelUnavailable, UnknownLanguage
from asr.recognizer import DecoderModel

log = logging.getLogger(__name__)


class SpeechModel(DecoderModel, Protocol):
    """What the rest of `asr` needs from a loaded model (the Vosk adapter is `asr.vosk`):
    vocabulary lookups and decoders (`new_recognizer`, see `asr.recognizer.DecoderModel`)."""

    path: Path
    has_unk: bool

    def contains(self, word: str) -> bool: ...


ModelLoader = Callable[[Path], SpeechModel]


def _default_loader(path: Path) -> SpeechModel:
    from asr.vosk import load_model  # imported lazily: vosk is an optional dependency

    return load_model(path)


def _default_checker(path: Path) -> list[str]:
    from asr.vosk import missing_files

    return missing_files(path)


class ModelRegistry:
    """Configured models by language (e.g. "zh-CN", "en-US", "ko"), loaded lazily, shared."""

    def __init__(
        self,
        paths: Mapping[str, Path],
        *,
        loader: ModelLoader = _default_loader,
        checker: Callable[[Path], list[str]] = _default_checker,
    ) -> None:
        self._paths = dict(paths)
        self._loader = loader
        self._checker = checker
        self._models: dict[str, SpeechModel] = {}
        self._broken: dict[str, ModelUnavailable] = {}
        self._lock = threading.Lock()

    def languages(self) -> list[str]:
        return sorted(self._paths)

    def check(self) -> list[AsrError]:
        """Start-up check of every configured path (cheap: files only, no load)."""
        errors: list[AsrError] = []
        for language, path in sorted(self._paths.items()):
            reason = self._problem(path)
            if reason is not None:
                error = ModelUnavailable(language, path, reason)
                self._broken[language] = error
                log.error("%s", error)
                errors.append(error)
        return errors

    def _problem(self, path: Path) -> str | None:
        if not path.exists():
            return "directory does not exist"
        if not path.is_dir():
            return "not a directory"
        missing = self._checker(path)
        return f"not a Vosk model (missing {', '.join(missing)})" if missing else None

    def available(self, language: str) -> bool:
        """True when the language has a configured model that is not known to be broken."""
        return language in self._paths and language not in self._broken

    def get(self, language: str) -> SpeechModel:
        """The shared model for `language`, loading it on first use (blocking)."""
        model = self._models.get(language)
        if model is not None:
            return model
        with self._lock:
            model = self._models.get(language)
            if model is None:
                model = self._load(language)
                self._models[language] = model
            return model

    async def aget(self, language: str) -> SpeechModel:
        """`get()` off the event loop (the first load takes seconds)."""
        return await asyncio.to_thread(self.get, language)

    def _load(self, language: str) -> SpeechModel:
        if language not in self._paths:
            raise UnknownLanguage(language, list(self._paths))
        if language in self._broken:
            raise self._broken[language]
        path = self._paths[language]
        reason = self._problem(path)
        if reason is None:
            try:
                model = self._loader(path)
            except Exception as exc:  # vosk raises a bare Exception on a bad model
                reason = f"cannot be loaded ({exc})"
            else:
                log.info("speech model loaded language=%s path=%s", language, path)
                return model
        error = ModelUnavailable(language, path, reason)
        self._broken[language] = error
        raise error
