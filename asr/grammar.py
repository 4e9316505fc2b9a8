"""Per-menu Vosk grammar: the current menu's option phrases and synonyms -> grammar JSON list.

Rules (pure): each option contributes its phrases in order, duplicates removed; a CJK token that
is not in the vocabulary but splits into known words (greedy longest match, e.g. "紧急下单" ->
"紧急 下单") is written split, because Vosk only splits on spaces; `[unk]` is appended when the
model has it so out-of-grammar speech has somewhere to go (models without it force such speech
onto a grammar word: `asr.intent` guards against that). Words still unknown are left in (Vosk
drops them) and reported by `asr.vocab.unknown_words`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from asr.vocab import Vocabulary, phrase_words

UNK = "[unk]"
MAX_CJK_WORD_CHARS = 8


def is_cjk(token: str) -> bool:
    return bool(token) and all("\u4e00" <= ch <= "\u9fff" for ch in token)


def segment_cjk(token: str, vocab: Vocabulary) -> list[str] | None:
    """Split a CJK token into vocabulary words by greedy longest match; None if impossible."""
    words: list[str] = []
    start = 0
    while start < len(token):
        for end in range(min(len(token), start + MAX_CJK_WORD_CHARS), start, -1):
            if vocab.contains(token[start:end]):
                words.append(token[start:end])
                start = end
                break
        else:
            return None
    return words


def normalise_phrase(phrase: str, vocab: Vocabulary) -> str:
    """The phrase as Vosk should see it: unknown CJK tokens split into known words if possible."""
    out: list[str] = []
    for token in phrase_words(phrase):
        if not vocab.contains(token) and is_cjk(token):
            out.extend(segment_cjk(token, vocab) or [token])
        else:
            out.append(token)
    return " ".join(out)


def build_grammar(
    options: Mapping[str, Sequence[str]], vocab: Vocabulary, *, has_unk: bool
) -> list[str]:
    """Option id -> phrases (label first, then synonyms) => the Vosk grammar list."""
    phrases: list[str] = []
    for option_phrases in options.values():
        for phrase in option_phrases:
            normal = normalise_phrase(phrase, vocab)
            if normal and normal not in phrases:
                phrases.append(normal)
    if has_unk:
        phrases.append(UNK)
    return phrases


def grammar_json(phrases: Iterable[str]) -> str:
    """The JSON text `KaldiRecognizer(model, rate, grammar)` takes."""
    return json.dumps(list(phrases), ensure_ascii=False)
