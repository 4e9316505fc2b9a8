"""`ivr prompts build [--flows DIR]`: pre-render every TTS prompt of every flow;
`ivr prompts say TEMPLATE --lang L [--set NAME=VALUE ...] [--phonemes]`: what a prompt says.

Rules: settings come from `load_settings` (the cache dir, voices and rate). Static prompt
texts are rendered into the cache with a progress bar on stderr; dynamic ones (with template
variables) are counted and left to call time. Prints the counts; exit 1 if any failed.
`say` prints the template's normalised text (typed slots spoken, `ivr.engine.speakable`) on
its first line, then with `--phonemes` espeak-ng's phonemes of it with the language's voice;
bad input (a slot without a value, a value its type cannot speak, an unknown language) is one
`ivr: ...` line on stderr and exit 2.
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
from ivr.engine.speakable import SlotValueError, speaks, spoken_text
from ivr.prompts.catalogue import Catalogue, catalogue
from ivr.prompts.phonemes import phonemes
from ivr.prompts.tts import PromptRenderer, TtsError
from ivr.settings import Settings, load_settings


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("prompts", help="TTS prompts: pre-render the cache, check a text")
    group = parser.add_subparsers(dest="prompts_command", metavar="SUBCOMMAND")
    group.required = True
    build = group.add_parser("build", help="pre-render every prompt of every flow")
    build.add_argument("--flows", type=Path, default=None, help="flows dir (default: settings)")
    build.add_argument("--settings", type=Path, default=None, help="settings YAML file")
    build.set_defaults(func=run_build)
    say = group.add_parser("say", help="print a prompt template's spoken (normalised) text")
    say.add_argument("template", help='e.g. "价格{p:decimal}元"')
    say.add_argument("--lang", default="zh-CN", help="prompt language (default zh-CN)")
    say.add_argument(
        "--set", dest="values", action="append", default=[], metavar="NAME=VALUE",
        help="a slot's raw value (repeatable), e.g. --set p=3580.5",
    )  # fmt: skip
    say.add_argument("--phonemes", action="store_true", help="also print espeak-ng's phonemes")
    say.add_argument("--settings", type=Path, default=None, help="settings YAML file")
    say.set_defaults(func=run_say)


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


def _values(items: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SlotValueError(f"--set '{item}' must be NAME=VALUE, e.g. --set p=3580.5")
        values[name.strip()] = value
    return values


def run_say(args: argparse.Namespace) -> int:
    try:
        if not speaks(args.lang):
            raise SlotValueError(f"--lang '{args.lang}' has no spoken forms (use zh-CN or en)")
        text = spoken_text(args.template, _values(args.values), args.lang)
        voice = None
        if args.phonemes:
            voice = load_settings(args.settings, os.environ).tts.voices.get(args.lang)
            if voice is None:
                raise SlotValueError(f"no voice for '{args.lang}' in settings (tts.voices)")
    except SlotValueError as exc:
        print(f"ivr: {exc}", file=sys.stderr)
        return 2
    print(text)
    if voice is not None:
        print(phonemes(text, voice))
    return 0
