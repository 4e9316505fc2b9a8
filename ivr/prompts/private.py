"""Private prompts: audio rendered from one caller's data, kept for that call only.

A prompt whose text was filled in from variables (a trade read-back, a balance, a masked
account) is caller-specific. It is never written to the shared TTS cache and never with a text
sidecar: its WAV bytes live in memory under its call, are served at
`/prompts/private/<call>/<prompt id>/<expiry>/<signature>.wav`, and are dropped when the call
ends (`forget(call)`), after which the URL answers 404.

Rules:
- The prompt id is random (128 bits); the signature is HMAC-SHA256 over call id, prompt id and
  expiry (epoch seconds) with a secret from the environment (`IVR_PROMPT_SECRET`), else a
  random secret of this process. Signatures are compared in constant time.
- `check` answers `forged` (bad signature), `expired`, `gone` (the call ended or never had it)
  or the bytes; the route turns them into 403, 403, 404, 200.
- Nothing of the text is kept or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

DEFAULT_TTL_S = 4 * 3600  # a signed URL outlives no call longer than this
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Signed:
    call: str
    prompt_id: str
    expires: int
    signature: str

    @property
    def path(self) -> str:
        return f"/prompts/private/{self.call}/{self.prompt_id}/{self.expires}/{self.signature}.wav"


Refusal = Literal["forged", "expired", "gone"]


class PrivatePrompts:
    """Per-call private prompt audio in memory, and the signing of its URLs."""

    def __init__(
        self,
        secret: str | None = None,
        *,
        ttl_s: int = DEFAULT_TTL_S,
        now_s: Callable[[], float] = time.time,
    ) -> None:
        self._key = secret.encode() if secret else secrets.token_bytes(32)
        self._ttl_s = ttl_s
        self._now_s = now_s
        self._calls: dict[str, dict[str, bytes]] = {}

    def sign(self, call: str, prompt_id: str, expires: int) -> str:
        message = f"{call}\n{prompt_id}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def add(self, call: str, wav: bytes) -> Signed:
        """Keep `wav` for `call`; the signed address to play it from."""
        if not _SAFE.match(call):
            raise ValueError("call id not usable in a URL")
        prompt_id = secrets.token_hex(16)
        self._calls.setdefault(call, {})[prompt_id] = wav
        expires = int(self._now_s()) + self._ttl_s
        return Signed(call, prompt_id, expires, self.sign(call, prompt_id, expires))

    def check(self, call: str, prompt_id: str, expires: str, signature: str) -> bytes | Refusal:
        """The audio of a signed address, or why not (see the module doc)."""
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 12):
            return "forged"
        if not (_SIGNATURE.fullmatch(signature) and _SAFE.match(call) and _SAFE.match(prompt_id)):
            return "forged"  # not one of our addresses (and compare_digest refuses non-ASCII)
        wanted = self.sign(call, prompt_id, int(expires))
        if not hmac.compare_digest(wanted, signature):
            return "forged"
        if int(expires) <= self._now_s():
            return "expired"
        audio = self._calls.get(call, {}).get(prompt_id)
        return "gone" if audio is None else audio

    def forget(self, call: str) -> int:
        """Drop every prompt of `call` (at hang-up); how many there were."""
        return len(self._calls.pop(call, {}))

    def held(self) -> int:
        """Private prompts held now, over all calls."""
        return sum(len(prompts) for prompts in self._calls.values())
