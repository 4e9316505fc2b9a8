"""Prompt audio over HTTP for `media=sound:http://...` playback (res_http_media_cache).

Routes: `GET /prompts/tts/{key}.wav` (content-addressed TTS cache: immutable),
`GET /prompts/files/{path}` (audio files under the prompt root) and
`GET /prompts/private/{call}/{prompt}/{expires}/{signature}.wav` (one call's private prompts,
from memory: a bad signature or an expired one is 403, a call that ended 404; never cached,
`Cache-Control: no-store`; docs/security.md, "Private audio"). Rules
(docs/asterisk-behaviour.md, "Prompts over HTTP"): `Content-Type: audio/wav`,
`Cache-Control: max-age=...` so Asterisk does not fetch a file again on every play, 8 kHz mono
16-bit WAV only, and URLs of 40+ characters (Asterisk 22.10.1 fails shorter ones). Paths are
resolved strictly inside their root (`ivr.web.files`): `..`, a symlink out or a name the
file system refuses (NUL, too long) is a 404.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from ivr.prompts.private import PrivatePrompts
from ivr.web.files import file_inside as _inside

PRIVATE_PROMPTS: web.AppKey[PrivatePrompts] = web.AppKey("ivr_private_prompts", PrivatePrompts)
TTS_MAX_AGE_S = 7 * 24 * 3600
FILE_MAX_AGE_S = 300
_KEY = re.compile(r"^[0-9a-f]{16,64}$")


def add_prompt_routes(
    app: web.Application, *, tts_cache: Path, prompt_root: Path, private: PrivatePrompts
) -> None:
    async def tts(request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        path = _inside(tts_cache, f"{key}.wav") if _KEY.match(key) else None
        if path is None:
            raise web.HTTPNotFound(text="no such prompt")
        return web.FileResponse(
            path,
            headers={
                "Content-Type": "audio/wav",
                "Cache-Control": f"public, max-age={TTS_MAX_AGE_S}, immutable",
            },
        )

    async def files(request: web.Request) -> web.StreamResponse:
        path = _inside(prompt_root, request.match_info["path"])
        if path is None or path.suffix.lower() != ".wav":
            raise web.HTTPNotFound(text="no such prompt")
        return web.FileResponse(
            path,
            headers={"Content-Type": "audio/wav", "Cache-Control": f"max-age={FILE_MAX_AGE_S}"},
        )

    async def private_prompt(request: web.Request) -> web.StreamResponse:
        m = request.match_info
        audio = private.check(m["call"], m["prompt"], m["expires"], m["signature"])
        if audio in ("forged", "expired"):
            raise web.HTTPForbidden(text="prompt link not valid")
        if not isinstance(audio, bytes):
            raise web.HTTPNotFound(text="no such prompt")
        headers = {"Cache-Control": "private, no-store", "Content-Type": "audio/wav"}
        return web.Response(body=audio, headers=headers)

    app.router.add_get("/prompts/tts/{key}.wav", tts)
    app.router.add_get("/prompts/private/{call}/{prompt}/{expires}/{signature}.wav", private_prompt)
    app.router.add_get("/prompts/files/{path:.+}", files)
