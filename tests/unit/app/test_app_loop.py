"""The process the app runs in (`ivr.app.loop`): the event-loop setting and heap settling."""

from __future__ import annotations

import asyncio
import gc
import importlib
from pathlib import Path
from types import ModuleType

import pytest

from ivr.app import loop
from ivr.errors import ConfigError
from ivr.settings import load_settings


async def _loop_kind() -> str:
    return loop.loop_name(asyncio.get_running_loop())


def test_auto_runs_on_uvloop_where_installed() -> None:
    assert loop.run("auto", _loop_kind()) == "uvloop"
    assert loop.run("uvloop", _loop_kind()) == "uvloop"
    assert loop.run("asyncio", _loop_kind()) == "asyncio"


def test_uvloop_asked_for_but_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_uvloop(name: str, package: str | None = None) -> ModuleType:
        if name == "uvloop":
            raise ImportError("No module named 'uvloop'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_uvloop)
    assert loop.run("auto", _loop_kind()) == "asyncio"  # auto: asyncio's own, no error
    with pytest.raises(ConfigError) as caught:
        loop.run("uvloop", _loop_kind())
    assert str(caught.value) == (
        "event_loop: uvloop is not installed; install it (pip install uvloop) "
        "or set event_loop: asyncio (IVR_EVENT_LOOP=asyncio)"
    )


def test_event_loop_setting_from_env_and_bad_value(tmp_path: Path) -> None:
    assert load_settings(None, {}).event_loop == "auto"
    assert load_settings(None, {"IVR_EVENT_LOOP": "AsyncIO"}).event_loop == "asyncio"
    path = tmp_path / "settings.yaml"
    path.write_text("event_loop: tokio\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(caught.value) == (
        f"{path}:1: event_loop: 'tokio' is not an event loop; use one of auto, uvloop, asyncio"
    )


def test_settle_heap_freezes_what_is_alive_and_collects_the_rest() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    Cycle()  # garbage in a cycle: only the collector frees it
    alive = Cycle()
    before = gc.get_threshold()
    try:
        frozen = loop.settle_heap()
        assert frozen == gc.get_freeze_count() > 0
        assert not any(isinstance(o, Cycle) for o in gc.get_objects())  # frozen or freed
        assert alive.me is alive
        assert gc.get_threshold() == (loop.YOUNG_THRESHOLD, *before[1:]) == (10_000, 10, 10)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert sum(isinstance(o, Cycle) for o in gc.get_objects()) == 1  # only the live one
