"""Fixtures: a flow-version service on a SQLite file seeded from the shipped flows; the whole
app (`app_factory` of the call tests: sandbox switch, real redis-server, SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.flowversions.context import flow_context
from ivr.flowversions.service import FlowVersions
from ivr.settings import load_settings
from ivr.store import CallStore
from ivr.store.flowversions import FlowVersionStore
from tests.integration.call.conftest import app_factory, tts_cache  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[3]
FLOWS = ROOT / "flows"
HOTLINE = (FLOWS / "hotline.yaml").read_text(encoding="utf-8")
OPTION_1 = "        label: 普通话\n        next: welcome\n"


FALLBACK = "    fallback: welcome\n\n  to_english:"


def hotline_with(option_1_next: str, *, fallback: str = "welcome") -> str:
    """hotline.yaml with the language menu's option 1 (and its no-input/no-match fallback)
    going to other nodes."""
    assert HOTLINE.count(OPTION_1) == 1
    assert HOTLINE.count(FALLBACK) == 1
    text = HOTLINE.replace(OPTION_1, OPTION_1.replace("welcome", option_1_next))
    return text.replace(FALLBACK, FALLBACK.replace("welcome", fallback))


def option_1_position() -> tuple[int, int]:
    """1-based line and column of `welcome` in option 1's `next:` line."""
    before = HOTLINE[: HOTLINE.index(OPTION_1)]
    line = before.count("\n") + 2
    return line, len("        next: ") + 1


def make_service(db_url_engine: CallStore) -> FlowVersions:
    settings = load_settings(
        ROOT / "config" / "settings.yaml", {"IVR_CONFIG_DIR": str(ROOT / "config")}
    )
    context = flow_context(settings, ROOT)
    return FlowVersions(
        FlowVersionStore(db_url_engine.engine), context, Path("flows"), poll_interval_s=0.05
    )


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[CallStore]:
    calls = await CallStore.open(db_url)
    yield calls
    await calls.close()


@pytest.fixture
async def service(store: CallStore) -> AsyncIterator[FlowVersions]:
    versions = make_service(store)
    await versions.start(FLOWS)
    yield versions
    await versions.aclose()
