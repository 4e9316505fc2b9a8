"""The only module that touches the untyped `vosk` binding: a typed fence around it.

Rules: everything vosk returns is converted here into plain typed values (`Transcript`, `Word`)
so the rest of `asr` stays strictly typed. Calls into vosk block (they release the GIL); callers
run them off the event loop (`asyncio.to_thread`). Reference: vosk-api python/vosk/__init__.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import vosk

from asr.intent import Transcript, Word

vosk.SetLogLevel(-1)  # vosk logs to stderr from C++; our own logging reports what matters

REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf")
UNK = "[unk]"


def missing_files(path: Path) -> list[str]:
    """Files a Vosk model directory needs that are absent under `path` (empty when it looks ok)."""
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    graphs = ("graph/HCLG.fst", "graph/HCLr.fst")
    if not any((path / g).is_file() for g in graphs):
        missing.append("graph/HCLG.fst or graph/HCLr.fst")
    return missing


class VoskModel:
    """A loaded Vosk model (read-only, shared by every recognizer of the process)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._model: Any = vosk.Model(str(path))
        self.has_unk = self.contains(UNK)

    def contains(self, word: str) -> bool:
        """Whether `word` is in the model's vocabulary (the decoding graph's word symbols)."""
        return int(self._model.vosk_model_find_word(word)) >= 0

    def new_recognizer(
        self, sample_rate_hz: int, grammar: list[str] | None, *, scored: bool = False
    ) -> VoskStream:
        """A fresh recognizer: grammar mode when `grammar` is a list, free-form when None.
        `scored`: the transcript also carries the best path's decoding score. Vosk gives either
        scores (n-best mode) or word confidences, so a scored grammar recognizer runs a second,
        n-best decoder on the same audio (grammar decoding is cheap); a scored free-form one
        runs in n-best mode only (its transcript has no word confidences)."""
        if not scored:
            return VoskStream(self._raw(sample_rate_hz, grammar))
        scorer = self._raw(sample_rate_hz, grammar)
        if grammar is None:
            return VoskStream(None, scorer)
        return VoskStream(self._raw(sample_rate_hz, grammar), scorer)

    def _raw(self, sample_rate_hz: int, grammar: list[str] | None) -> Any:
        if grammar is None:
            return vosk.KaldiRecognizer(self._model, float(sample_rate_hz))
        text = json.dumps(grammar, ensure_ascii=False)
        return vosk.KaldiRecognizer(self._model, float(sample_rate_hz), text)


class VoskStream:
    """One utterance-at-a-time Vosk recognizer (not thread-safe: one caller at a time)."""

    def __init__(self, raw: Any, scorer: Any = None) -> None:
        self._raw = raw  # word confidences (None: the scorer's text only)
        self._scorer = scorer  # n-best mode: the best path's score
        if raw is not None:
            raw.SetWords(True)
            raw.SetPartialWords(False)
        if scorer is not None:
            scorer.SetMaxAlternatives(1)
        self._decoders = [d for d in (raw, scorer) if d is not None]

    def accept(self, pcm16: bytes) -> bool:
        """Feed 16-bit LE mono audio; True when Vosk itself saw an endpoint."""
        return any([bool(d.AcceptWaveform(pcm16)) for d in self._decoders])

    def reset(self) -> None:
        """Drop any audio of an unfinished utterance."""
        for decoder in self._decoders:
            decoder.Reset()

    def final(self) -> Transcript:
        """Flush and return the utterance's transcript; the stream is ready for the next one."""
        if self._scorer is None:
            return parse_result(self._raw.FinalResult())
        scored = str(self._scorer.FinalResult())
        if self._raw is None:
            text = parse_nbest_text(scored)
            return Transcript(text=text, score=parse_score(scored))
        return replace(parse_result(self._raw.FinalResult()), score=parse_score(scored))


def parse_result(raw_json: str) -> Transcript:
    """Vosk result JSON (`SetWords(True)`) -> `Transcript` with per-word confidences."""
    data = json.loads(raw_json)
    words = tuple(
        Word(str(w["word"]), float(w.get("conf", 1.0)))
        for w in data.get("result", [])
        if isinstance(w, dict)
    )
    text = str(data.get("text", "")).strip()
    conf = min((w.confidence for w in words), default=0.0)
    return Transcript(text=text, words=words, confidence=conf)


def _best(raw_json: str) -> dict[str, Any]:
    alternatives = json.loads(raw_json).get("alternatives") or []
    return alternatives[0] if alternatives and isinstance(alternatives[0], dict) else {}


def parse_score(raw_json: str) -> float | None:
    """The best path's score from n-best result JSON (`SetMaxAlternatives`); higher is better."""
    best = _best(raw_json)
    return float(best["confidence"]) if "confidence" in best else None


def parse_nbest_text(raw_json: str) -> str:
    return str(_best(raw_json).get("text", "")).strip()


def load_model(path: Path) -> VoskModel:
    """Load a model directory (blocking, seconds). Raises vosk's own exception on failure."""
    return VoskModel(path)
