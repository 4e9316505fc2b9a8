"""The prompt catalogue of a set of flows: every TTS text a flow can speak, per language.

Rules: pure (no I/O beyond what the engine loader already did). A text with a template
variable (`{balance}`) is dynamic: it is rendered at call time, not pre-rendered. `{{` and
`}}` are literal braces. Audio-file prompts are not TTS and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ivr.engine.model import Flow, FlowSet, PromptDef, TtsContent, prompts_of

_VARIABLE = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True, slots=True)
class PromptText:
    text: str
    language: str
    voice: str | None  # a voice hint of the prompt, else the language's voice
    where: str  # "path:line:col" of the prompt, for error messages


@dataclass(frozen=True, slots=True)
class Catalogue:
    static: tuple[PromptText, ...]  # unique (text, language, voice), in flow order
    dynamic: tuple[PromptText, ...]


def is_dynamic(text: str) -> bool:
    return bool(_VARIABLE.search(text.replace("{{", "").replace("}}", "")))


def literal(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


def _flow_prompts(flow: Flow) -> Iterator[PromptDef]:
    for prompt in (flow.defaults.no_input_prompt, flow.defaults.no_match_prompt):
        if prompt is not None:
            yield prompt
    for node in flow.nodes.values():
        for _, prompt in prompts_of(node):
            yield prompt


def _texts(flow: Flow) -> Iterator[PromptText]:
    for prompt in _flow_prompts(flow):
        for language, content in prompt.contents.items():
            if isinstance(content, TtsContent):
                pos = prompt.marks.get(language, prompt.pos)
                where = f"{flow.path}:{pos.line}:{pos.column}"
                yield PromptText(content.text, language, content.voice, where)


def catalogue(flows: FlowSet) -> Catalogue:
    """Every TTS prompt text of `flows`, static ones de-duplicated."""
    static: dict[tuple[str, str, str | None], PromptText] = {}
    dynamic: list[PromptText] = []
    for flow in flows.flows.values():
        for item in _texts(flow):
            if is_dynamic(item.text):
                dynamic.append(item)
            else:
                text = literal(item.text)
                static.setdefault((text, item.language, item.voice), _with_text(item, text))
    return Catalogue(static=tuple(static.values()), dynamic=tuple(dynamic))


def _with_text(item: PromptText, text: str) -> PromptText:
    return PromptText(text, item.language, item.voice, item.where)
