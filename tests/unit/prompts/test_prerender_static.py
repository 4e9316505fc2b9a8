"""Which prompts are rendered ahead: every call-independent TTS prompt, never one with a slot."""

from __future__ import annotations

from pathlib import Path

from ivr.engine.loader import load_flows
from ivr.prompts.prerender import static_prompts

ROOT = Path(__file__).resolve().parents[3]


def test_static_prompts_of_the_shipped_flows() -> None:
    flows = load_flows([ROOT / "flows"])
    prompts = static_prompts(flows)
    texts = {text for text, _, _ in prompts}
    assert len(prompts) == len(set(prompts))  # each once
    assert ("抱歉，没有听到您的选择。", "zh-CN", None) in prompts  # a defaults prompt
    first = "普通话服务请按1，慢速普通话请按3，人工服务请按0。For English service, please press 2."
    assert (first, "zh-CN", None) in prompts
    assert not any("{" in text for text in texts)  # nothing with a slot (caller-specific)
    languages = {language for _, language, _ in prompts}
    assert languages == {"zh-CN", "en"}
