"""Grammar building and vocabulary checks against a known word list."""

from __future__ import annotations

from pathlib import Path

from asr.grammar import build_grammar, grammar_json, segment_cjk
from asr.vocab import WordsFile, unknown_words


class Vocab:
    def __init__(self, *words: str) -> None:
        self.words = set(words)

    def contains(self, word: str) -> bool:
        return word in self.words


VOCAB = Vocab("紧急", "下单", "保证金", "人工", "服务", "agent", "[unk]")


def test_unknown_words_reports_only_phrases_with_unknown_words() -> None:
    report = unknown_words(VOCAB, ["人工 服务", "agent", "operator desk", "保证金"])
    assert report == {"operator desk": ["operator", "desk"]}


def test_grammar_lists_phrases_once_splits_cjk_and_adds_unk() -> None:
    options = {"order": ["紧急下单", "下单"], "agent": ["人工服务", "agent", "agent"]}
    grammar = build_grammar(options, VOCAB, has_unk=True)
    assert grammar == ["紧急 下单", "下单", "人工 服务", "agent", "[unk]"]
    assert grammar_json(grammar) == '["紧急 下单", "下单", "人工 服务", "agent", "[unk]"]'


def test_grammar_without_unk_and_unsplittable_words_kept() -> None:
    grammar = build_grammar({"x": ["交易软件"]}, VOCAB, has_unk=False)
    assert grammar == ["交易软件"]
    assert segment_cjk("交易软件", VOCAB) is None
    assert segment_cjk("紧急下单", VOCAB) == ["紧急", "下单"]


def test_words_file(tmp_path: Path) -> None:
    graph = tmp_path / "graph"
    graph.mkdir()
    assert WordsFile.find(tmp_path) is None
    (graph / "words.txt").write_text("<eps> 0\n[unk] 1\n下单 2\n\n", encoding="utf-8")
    words = WordsFile.find(tmp_path)
    assert words is not None
    assert words.has_unk
    assert unknown_words(words, ["下单", "夏单"]) == {"夏单": ["夏单"]}
