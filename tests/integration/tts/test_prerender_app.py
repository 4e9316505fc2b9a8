"""Static prompts are rendered before flows go live: at start (an empty prompt cache is full
once the app runs) and at publish (the new version's new prompt is in the cache when the
publish returns, before any call plays it)."""

from __future__ import annotations

from pathlib import Path

from ivr.prompts.prerender import static_prompts
from tests.integration.call.conftest import AppFactory, app_factory, tts_cache  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]
NEW_PROMPT = "您好，欢迎致电期货客户服务热线，新版欢迎词。"


async def test_start_and_publish_render_every_static_prompt_first(
    app_factory: AppFactory,  # noqa: F811
    tmp_path: Path,
) -> None:
    cache = tmp_path / "fresh-cache"
    async with app_factory(IVR_TTS_CACHE=str(cache)) as app:
        renderer = app.services.renderer
        live = app.flows()
        missing = [p for p in static_prompts(live) if not renderer.is_cached(*p)]
        assert missing == []
        assert len(list(cache.glob("*.wav"))) >= len(static_prompts(live))

        hotline = (ROOT / "flows" / "hotline.yaml").read_text(encoding="utf-8")
        old = "您好，欢迎致电期货客户服务热线。为提高服务质量，您的通话可能被录音。"
        assert hotline.count(old) == 1
        assert not renderer.is_cached(NEW_PROMPT, "zh-CN")
        await app.services.flow_versions.publish_text(
            "hotline", hotline.replace(old, NEW_PROMPT), "ann"
        )
        assert renderer.is_cached(NEW_PROMPT, "zh-CN")
