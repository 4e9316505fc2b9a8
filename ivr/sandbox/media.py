"""Prompt media of the sandbox switch: what a `media=` URI plays and for how long.

Role: the switch's res_stasis_playback + res_http_media_cache.
- `sound:NAME`: `<sounds_dir>/<lang>/NAME.wav`, then `en/NAME.wav`, then `NAME.wav`.
- `sound:http(s)://...`: fetched over HTTP; `Cache-Control: max-age` makes it cacheable (not
  fetched again while fresh), otherwise every play fetches again.
- `recording:NAME`: a stored recording.
Asterisk 22.10.1 facts reproduced (`docs/asterisk-behaviour.md`, "Prompts over HTTP" and
"Playback"): a URL shorter than `http_media_min_url_len` fails ("does not exist in any
format"), an HTTP 404 fails, a bare `http://` URI (no `sound:`) starts and never finishes, a
`.wav` that is not 8 kHz mono 16-bit fails.

Rules: every fetch has a deadline; failures are results (`Unplayable`), never exceptions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ivr.sandbox.audio import WavError, playable_duration_s

log = logging.getLogger(__name__)

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)")


@dataclass(frozen=True, slots=True)
class Playable:
    """Media that plays: its duration (None: never ends by itself) and WAV bytes if any."""

    duration_s: float | None
    wav: bytes | None = None


@dataclass(frozen=True, slots=True)
class Unplayable:
    reason: str


@dataclass(slots=True)
class _CacheEntry:
    wav: bytes
    expires_s: float


class MediaResolver:
    """Resolves media URIs; keeps the HTTP cache and a log of the HTTP fetches it made."""

    def __init__(
        self,
        *,
        sounds_dir: Path | None,
        recordings_dir: Path | None,
        now_s: Callable[[], float],
        min_url_len: int,
        fetch_timeout_s: float,
    ) -> None:
        self.sounds_dir = sounds_dir
        self.recordings_dir = recordings_dir
        self._now_s = now_s
        self._min_url_len = min_url_len
        self._timeout = aiohttp.ClientTimeout(total=fetch_timeout_s)
        self._cache: dict[str, _CacheEntry] = {}
        self.fetches: list[str] = []
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def resolve(self, media_uri: str, language: str) -> Playable | Unplayable:
        scheme, _, rest = media_uri.partition(":")
        if scheme == "sound" and rest.startswith(("http://", "https://")):
            return await self._http(rest)
        if scheme == "sound":
            return self._file(self._sound_path(rest, language))
        if scheme == "recording":
            if self.recordings_dir is None:
                return Unplayable("no recordings dir")
            return self._file(self.recordings_dir / f"{rest}.wav")
        if scheme in ("http", "https"):
            return Playable(None)  # Asterisk 22.10.1: starts, never finishes
        if scheme == "digits":
            return Playable(0.5 * len(rest))
        if scheme == "number":
            return Playable(1.0)
        if scheme == "tone":
            return Playable(None)
        return Unplayable(f"unsupported media scheme {scheme!r}")

    def _sound_path(self, name: str, language: str) -> Path | None:
        if self.sounds_dir is None:
            return None
        # Asterisk's fileexists_core: the preferred language, then "en", then no language.
        for lang in (language, "en", ""):
            candidate = self.sounds_dir / lang / f"{name}.wav"
            if candidate.is_file():
                return candidate
        return None

    @staticmethod
    def _file(path: Path | None) -> Playable | Unplayable:
        if path is None or not path.is_file():
            return Unplayable("does not exist in any format")
        data = path.read_bytes()
        return _playable(data)

    async def _http(self, url: str) -> Playable | Unplayable:
        cached = self._cache.get(url)
        if cached is not None and cached.expires_s > self._now_s():
            return _playable(cached.wav)
        fetched = await self._fetch(url)
        if isinstance(fetched, Unplayable):
            return fetched
        data, content_type, max_age_s = fetched
        if max_age_s:
            self._cache[url] = _CacheEntry(data, self._now_s() + max_age_s)
        if len(url) < self._min_url_len:
            # 22.10.1 buffer bug: the cached file path is cut short -> not found.
            return Unplayable(f"URL shorter than {self._min_url_len} chars (Asterisk 22.10.1 bug)")
        if not (url.split("?")[0].endswith(".wav") or "wav" in content_type):
            return Unplayable(f"unknown media type {content_type!r}")
        return _playable(data)

    async def _fetch(self, url: str) -> tuple[bytes, str, int] | Unplayable:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": "asterisk-libcurl-agent/1.0"}
            )
        self.fetches.append(url)
        try:
            async with self._session.get(url) as resp:
                if resp.status != 200:
                    return Unplayable(f"HTTP {resp.status}")
                data = await resp.read()
                cache_control = resp.headers.get("Cache-Control", "")
                content_type = resp.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("sandbox media fetch failed url=%s error=%s", url, exc)
            return Unplayable(f"fetch failed: {exc}")
        m = _MAX_AGE.search(cache_control)
        max_age_s = int(m.group(1)) if m and "no-store" not in cache_control else 0
        return data, content_type, max_age_s


def _playable(data: bytes) -> Playable | Unplayable:
    try:
        return Playable(playable_duration_s(data), data)
    except WavError as exc:
        return Unplayable(str(exc))
