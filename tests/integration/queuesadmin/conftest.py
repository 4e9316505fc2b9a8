"""Fixtures: the whole app (`app_factory` of the call tests) on a private copy of `config/`,
so saving the queue definitions never rewrites the repository's file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.call.conftest import app_factory, tts_cache  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[3]
QUEUES = (ROOT / "config" / "queues.yaml").read_text(encoding="utf-8")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target
