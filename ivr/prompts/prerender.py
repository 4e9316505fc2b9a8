"""Static prompts rendered before a flow set goes live, so no caller waits for the voice.

`static_prompts(flows)` lists every TTS prompt of the flows that does not depend on the call
(no slot): node prompts, menu error prompts, defaults, in every language, as (text, language,
voice). `prerender(renderer, flows)` renders the ones not yet in the cache, one by one on the
renderer's worker; the app calls it at start and before each publish, rollback or reload
(`ivr.flowversions.service.FlowVersions.prepare`).

Rules: bounded (`PRERENDER_TIMEOUT_S` in all); a prompt that fails to render is logged and
left to the first call that plays it (the flows still go live: a missing voice must not stop
a publish); caller-specific prompts (with slots) are never rendered here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterator

from ivr.engine import model as m
from ivr.engine.templates import render, variables_in
from ivr.errors import IvrError
from ivr.prompts.tts import PromptRenderer

log = logging.getLogger(__name__)

PRERENDER_TIMEOUT_S = 300.0
StaticPrompt = tuple[str, str, str | None]  # text, language, voice


def _prompt_defs(value: object) -> Iterator[m.PromptDef]:
    if isinstance(value, m.PromptDef):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _prompt_defs(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _prompt_defs(item)


def static_prompts(flows: m.FlowSet) -> list[StaticPrompt]:
    """Every call-independent TTS prompt of `flows`, once each, in file order."""
    found: dict[StaticPrompt, None] = {}
    for flow in flows.flows.values():
        parts: list[object] = [flow.defaults, *flow.nodes.values()]
        for prompt in (p for part in parts for p in _prompt_defs(part)):
            for language, content in prompt.contents.items():
                if isinstance(content, m.TtsContent) and not variables_in(content.text):
                    text = render(content.text, lambda _n: "", lambda _n, _k: "")
                    found[(text, language, content.voice)] = None
    return list(found)


async def prerender(renderer: PromptRenderer, flows: m.FlowSet) -> int:
    """Render the static prompts of `flows` not yet cached; how many were rendered."""
    started = time.perf_counter()
    todo = [p for p in static_prompts(flows) if not renderer.is_cached(*p)]
    done = 0
    try:
        async with asyncio.timeout(PRERENDER_TIMEOUT_S):
            for text, language, voice in todo:
                try:
                    await renderer.render(text, language, voice)
                    done += 1
                except (IvrError, OSError) as exc:
                    log.error("prompt not rendered ahead (%s): %s", language, exc)
    except TimeoutError:
        log.error("prompts rendered ahead: stopped after %.0f s", PRERENDER_TIMEOUT_S)
    if todo:
        log.info(
            "prompts rendered ahead: %d of %d new in %.1f s",
            done, len(todo), time.perf_counter() - started,
        )  # fmt: skip
    return done
