"""Model registry: start-up errors name the path and the fix; lazy, shared, thread-safe load."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from asr.errors import ModelUnavailable, UnknownLanguage
from asr.models import ModelRegistry
from asr.recognizer import DecoderStream


class FakeModel:
    has_unk = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def contains(self, word: str) -> bool:
        return False

    def new_recognizer(
        self, sample_rate_hz: int, grammar: list[str] | None, *, scored: bool = False
    ) -> DecoderStream:
        raise NotImplementedError


def make_registry(paths: dict[str, Path], loads: list[Path]) -> ModelRegistry:
    def loader(path: Path) -> FakeModel:
        loads.append(path)
        return FakeModel(path)

    return ModelRegistry(paths, loader=loader, checker=lambda p: [])


def test_missing_model_path_is_a_startup_error_and_dtmf_only(tmp_path: Path) -> None:
    missing = tmp_path / "vosk-model-small-cn-0.22"
    registry = make_registry({"zh-CN": missing, "en": tmp_path}, [])
    [error] = registry.check()
    assert str(error) == (
        f"speech model for 'zh-CN' at {missing}: directory does not exist; install it "
        "(see docs/asr.md) or remove asr.models.zh-CN from the settings to run this language "
        "DTMF-only"
    )
    assert not registry.available("zh-CN")
    assert registry.available("en")
    assert not registry.available("ko")
    with pytest.raises(ModelUnavailable):
        registry.get("zh-CN")


def test_not_a_model_directory_names_the_missing_files(tmp_path: Path) -> None:
    registry = ModelRegistry({"en": tmp_path})
    [error] = registry.check()
    assert "not a Vosk model (missing am/final.mdl, conf/mfcc.conf, graph/HCLG.fst or " in str(
        error
    )


def test_unknown_language() -> None:
    with pytest.raises(UnknownLanguage, match=r"add asr\.models\.fr to the settings"):
        make_registry({}, []).get("fr")


def test_loader_failure_becomes_model_unavailable(tmp_path: Path) -> None:
    def broken(path: Path) -> FakeModel:
        raise Exception("Failed to create a model")

    registry = ModelRegistry({"en": tmp_path}, loader=broken, checker=lambda p: [])
    with pytest.raises(ModelUnavailable, match=r"cannot be loaded \(Failed to create a model\)"):
        registry.get("en")
    assert not registry.available("en")


def test_model_is_loaded_once_and_shared_across_threads(tmp_path: Path) -> None:
    loads: list[Path] = []
    registry = make_registry({"en": tmp_path}, loads)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(registry.get("en"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert loads == [tmp_path]
    assert len(got) == 8
    assert all(m is got[0] for m in got)


async def test_aget_loads_off_the_loop(tmp_path: Path) -> None:
    registry = make_registry({"en": tmp_path}, [])
    model = await registry.aget("en")
    assert model.path == tmp_path
