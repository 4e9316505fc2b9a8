"""Vocabulary checks and grammar against the real Korean model (no words.txt, no [unk])."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.errors import ModelUnavailable
from asr.grammar import build_grammar
from asr.models import ModelRegistry
from asr.vocab import WordsFile, unknown_words
from asr.vosk import VoskModel

from .conftest import ko_model_dir


def test_asr_unknown_words_from_the_model_graph(ko_model: VoskModel) -> None:
    assert WordsFile.find(ko_model_dir()) is None  # small lookahead model: vocabulary is in Gr.fst
    report = unknown_words(ko_model, ["상담원", "잔고 조회", "계좌 xyzzy", "qwfp"])
    assert report == {"계좌 xyzzy": ["xyzzy"], "qwfp": ["qwfp"]}


def test_asr_korean_model_has_no_unk_so_grammar_has_none(ko_model: VoskModel) -> None:
    assert not ko_model.has_unk
    grammar = build_grammar(
        {"a": ["상담원"], "b": ["잔고 조회"]}, ko_model, has_unk=ko_model.has_unk
    )
    assert grammar == ["상담원", "잔고 조회"]


def test_asr_registry_reports_a_missing_model_and_keeps_the_good_one(tmp_path: Path) -> None:
    registry = ModelRegistry({"ko": ko_model_dir(), "zh-CN": tmp_path / "nope"})
    [error] = registry.check()
    assert isinstance(error, ModelUnavailable)
    assert str(error).startswith(f"speech model for 'zh-CN' at {tmp_path / 'nope'}: ")
    assert registry.available("ko")
    assert not registry.available("zh-CN")
    with pytest.raises(ModelUnavailable):
        registry.get("zh-CN")
