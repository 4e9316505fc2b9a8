"""Engine prompts -> ARI media URIs served by our own HTTP server.

TTS text is rendered (cached, content-addressed) by `PromptRenderer`; the URI points at
`/prompts/tts/<sha256>.wav`, audio files at `/prompts/files/<path>`. Both go out as
`sound:http://...` (res_http_media_cache: the bare `http://` form never finishes), and our URLs
are always 40+ characters (Asterisk 22.10.1 fails shorter ones): docs/asterisk-behaviour.md,
"Prompts over HTTP".

A private prompt (`TtsPrompt.private`: filled in from the caller's data) is rendered without
the cache and kept in memory for its call only (`ivr.prompts.private.PrivatePrompts`), under a
signed, unguessable URL; `end_call(call)` drops them at hang-up. Only static prompts get a
text sidecar (`<key>.txt`, for transcripts).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from ivr.engine.commands import AudioPrompt, Prompt, TtsPrompt
from ivr.prompts.private import PrivatePrompts
from ivr.prompts.tts import PromptRenderer


def prompt_text(tts_cache: Path, media_uri: str) -> str | None:
    """The text of a TTS prompt URI (from its sidecar `<key>.txt`), for transcripts."""
    key = media_uri.rsplit("/", 1)[-1].removesuffix(".wav")
    sidecar = tts_cache / f"{key}.txt"
    return sidecar.read_text(encoding="utf-8") if sidecar.is_file() else None


class HttpPromptMedia:
    """The `PromptMedia` of `ivr.call.session`: renders TTS, then names the prompt by URL."""

    def __init__(
        self, renderer: PromptRenderer, base_url: str, private: PrivatePrompts | None = None
    ) -> None:
        self._renderer = renderer
        self._base = base_url.rstrip("/")
        self._known: set[str] = set()
        self.private = private or PrivatePrompts()  # the route serving them must share it

    async def media_uri(self, prompt: Prompt, call: str = "") -> str:
        """The media URI of `prompt`; a private one needs the `call` it is played in."""
        match prompt:
            case TtsPrompt(text=text, language=language, voice=voice, private=True, slow=slow):
                if not call:
                    raise ValueError("a private prompt is played in a call: pass its id")
                wav = await self._renderer.render_private(text, language, voice, slow)
                return f"sound:{self._base}{self.private.add(call, wav).path}"
            case TtsPrompt(text=text, language=language, voice=voice, slow=slow):
                path = await self._renderer.render(text, language, voice, slow)
                if path.stem not in self._known:  # a file write: once per text, off the loop
                    await asyncio.to_thread(self._remember, path, text)
                return f"sound:{self._base}/prompts/tts/{path.stem}.wav"
            case AudioPrompt(path=path):
                return f"sound:{self._base}/prompts/files/{quote(path)}"

    def end_call(self, call: str) -> None:
        """The call ended: its private prompts are gone (their URLs answer 404)."""
        self.private.forget(call)

    def _remember(self, wav: Path, text: str) -> None:
        """Keep the text beside its audio once, so transcripts can say what was heard."""
        if wav.stem in self._known:
            return
        sidecar = wav.with_suffix(".txt")
        if not sidecar.exists():
            sidecar.write_text(text, encoding="utf-8")
        self._known.add(wav.stem)
