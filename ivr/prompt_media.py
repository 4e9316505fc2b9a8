"""Engine prompts -> ARI media URIs served by our own HTTP server.

TTS text is rendered (cached, content-addressed) by `PromptRenderer`; the URI points at
`/prompts/tts/<sha256>.wav`, audio files at `/prompts/files/<path>`. Both go out as
`sound:http://...` (res_http_media_cache; the bare `http://` form never finishes, ARI-NOTES), and
our URLs are always 40+ characters (Asterisk 22.10.1 fails shorter ones).
"""

from __future__ import annotations

from urllib.parse import quote

from ivr.engine.commands import AudioPrompt, Prompt, TtsPrompt
from ivr.tts import PromptRenderer


class HttpPromptMedia:
    """The `PromptMedia` of `ivr.session`: renders TTS, then names the prompt by URL."""

    def __init__(self, renderer: PromptRenderer, base_url: str) -> None:
        self._renderer = renderer
        self._base = base_url.rstrip("/")

    async def media_uri(self, prompt: Prompt) -> str:
        match prompt:
            case TtsPrompt(text=text, language=language, voice=voice):
                path = await self._renderer.render(text, language, voice)
                return f"sound:{self._base}/prompts/tts/{path.stem}.wav"
            case AudioPrompt(path=path):
                return f"sound:{self._base}/prompts/files/{quote(path)}"
