"""Vocabulary checks: which words of a menu's phrases the speech model cannot recognise.

Vosk silently drops grammar words that are not in the model's vocabulary (it only logs a
warning), so an option whose phrase is all unknown words can never be chosen by voice. We check
ourselves, at `ivr flows validate --asr` time, and report the unknown words with file:line.

Sources of the vocabulary, in order: `graph/words.txt` in the model directory (most big models
ship it), else the word symbols of the loaded model's decoding graph (`Gr.fst`/`HCLG.fst`,
looked up through vosk's `vosk_model_find_word`; this is how small lookahead models that keep
their vocabulary only inside `graph/Gr.fst`, such as the Korean test model, are checked).
Rules: pure except `WordsFile.load`; phrases split on whitespace exactly as Vosk does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Vocabulary(Protocol):
    """Anything that can answer "is this word in the model?" (a loaded model or a words file)."""

    def contains(self, word: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class WordsFile:
    """A Kaldi `words.txt` symbol table (`word id` per line) read into a set."""

    path: Path
    words: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> WordsFile:
        with path.open(encoding="utf-8") as fh:
            words = frozenset(line.split(maxsplit=1)[0] for line in fh if line.strip())
        return cls(path, words)

    @classmethod
    def find(cls, model_dir: Path) -> WordsFile | None:
        """The model's `graph/words.txt` when it ships one, else None (use the loaded model)."""
        path = model_dir / "graph" / "words.txt"
        return cls.load(path) if path.is_file() else None

    def contains(self, word: str) -> bool:
        return word in self.words

    @property
    def has_unk(self) -> bool:
        return "[unk]" in self.words


def phrase_words(phrase: str) -> list[str]:
    """The words Vosk looks up for a grammar phrase: whitespace-separated tokens."""
    return phrase.split()


def unknown_words(model: Vocabulary, phrases: Iterable[str]) -> dict[str, list[str]]:
    """Each phrase with at least one word the model does not know -> those words, in order.

    Phrases whose words are all known are left out, so an empty dict means "all recognisable".
    """
    report: dict[str, list[str]] = {}
    for phrase in phrases:
        missing = [w for w in phrase_words(phrase) if not model.contains(w)]
        if missing:
            report[phrase] = missing
    return report
