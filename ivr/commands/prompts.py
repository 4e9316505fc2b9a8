"""`ivr prompts build [--flows DIR]`: pre-render every TTS prompt of every flow.

Rules: settings come from `load_settings` (the cache dir, voices and rate). Static prompt
texts are rendered into the cache with a progress bar on stderr; dynamic ones (with template
variables) are counted and left to call time. Prints the counts; exit 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ivr.engine.loader import load_flows
from ivr.prompts.catalogue import Catalogue, catalogue
from ivr.prompts.tts import PromptRenderer, TtsError
from ivr.settings import Settings, load_settings


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("prompts", help="TTS prompts: pre-render the cache")
    group = parser.add_subparsers(dest="prompts_command", metavar="SUBCOMMAND")
    group.required = True
    build = group.add_parser("build", help="pre-render every prompt of every flow")
    build.add_argument("--flows", type=Path, default=None, help="flows dir (default: settings)")
    build.add_argument("--settings", type=Path, default=None, help="settings YAML file")
    build.set_defaults(func=run_build)


async def _render_all(settings: Settings, prompts: Catalogue) -> tuple[int, int, list[str]]:
    renderer = PromptRenderer(settings.paths.tts_cache, settings.tts.voices, settings.tts.rate_wpm)
    rendered, cached, failed = 0, 0, []
    try:
        for item in tqdm(prompts.static, desc="prompts", unit="prompt", file=sys.stderr):
            try:
                if renderer.is_cached(item.text, item.language, item.voice):
                    cached += 1
                    continue
                await renderer.render(item.text, item.language, item.voice)
                rendered += 1
            except TtsError as exc:
                failed.append(f"{item.where}: {exc}")
    finally:
        await renderer.close()
    if renderer.timings_s:
        mean_ms = 1000 * sum(renderer.timings_s) / len(renderer.timings_s)
        print(f"render time: mean {mean_ms:.0f} ms per prompt ({renderer.backend})")
    return rendered, cached, failed


def run_build(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings, os.environ)
    flows = load_flows([args.flows or settings.paths.flows_dir])
    prompts = catalogue(flows)
    rendered, cached, failed = asyncio.run(_render_all(settings, prompts))
    for line in failed:
        print(line, file=sys.stderr)
    print(
        f"prompts: {rendered} rendered, {cached} cached, {len(failed)} failed,"
        f" {len(prompts.dynamic)} dynamic (rendered at call time)"
    )
    return 1 if failed else 0
