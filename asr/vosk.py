"""The only module that touches the untyped `vosk` binding: a typed fence around it.

Rules: everything vosk returns is converted here into plain typed values (`Transcript`, `Word`)
so the rest of `asr` stays strictly typed. Calls into vosk block (they release the GIL); callers
run them off the event loop (`asyncio.to_thread`). Reference: vosk-api python/vosk/__init__.py.
"""

from __future__ import annotations

import json
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

    def new_recognizer(self, sample_rate_hz: int, grammar: list[str] | None) -> VoskStream:
        """A fresh recognizer: grammar mode when `grammar` is a list, free-form when None."""
        if grammar is None:
            raw = vosk.KaldiRecognizer(self._model, float(sample_rate_hz))
        else:
            text = json.dumps(grammar, ensure_ascii=False)
            raw = vosk.KaldiRecognizer(self._model, float(sample_rate_hz), text)
        return VoskStream(raw)


class VoskStream:
    """One utterance-at-a-time Vosk recognizer (not thread-safe: one caller at a time)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._raw.SetWords(True)
        self._raw.SetPartialWords(False)

    def accept(self, pcm16: bytes) -> bool:
        """Feed 16-bit LE mono audio; True when Vosk itself saw an endpoint."""
        return bool(self._raw.AcceptWaveform(pcm16))

    def reset(self) -> None:
        """Drop any audio of an unfinished utterance."""
        self._raw.Reset()

    def final(self) -> Transcript:
        """Flush and return the utterance's transcript; the stream is ready for the next one."""
        return parse_result(self._raw.FinalResult())


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


def load_model(path: Path) -> VoskModel:
    """Load a model directory (blocking, seconds). Raises vosk's own exception on failure."""
    return VoskModel(path)
