"""From what a caller said to the engine's `SpeechRecognised`, the same way in live calls and in
the simulator (`ivr flows simulate`, the try-it page). Pure.

A menu's phrases (in the call's language) are the options of `asr.intent.decide`, in grammar
mode as live menus listen (a recogniser with the menu's grammar). Accept sends the option's
phrase with its confidence; Confirm sends it marked `unsure` (a menu with `confirm_below` asks
yes/no, one without retries); Reject of heard speech sends an empty low-confidence result (a
no-match retry); no speech at all sends nothing.

The simulator has text, not audio: its transcript carries `SIMULATED_CONFIDENCE` for every word
and no free-form second pass. Live calls add what audio tells (word confidences, the free-form
pass, a clipped start) through `hear`, the one entry both use.
"""

from __future__ import annotations

from asr.intent import (
    Accept,
    Confirm,
    Decision,
    Evidence,
    MenuOption,
    Reject,
    Thresholds,
    Transcript,
    decide,
)
from ivr.engine import events as ev

SIMULATED_CONFIDENCE = 0.9
NO_EVIDENCE = Evidence()
DEFAULT_THRESHOLDS = Thresholds()


def speech_event(decision: Decision) -> ev.SpeechRecognised | None:
    """The engine event for one decided utterance (None: tell the engine nothing)."""
    match decision:
        case Accept(option_id=phrase, confidence=confidence):
            return ev.SpeechRecognised(phrase, confidence)
        case Confirm(option_id=phrase, similarity=similarity, confidence=confidence):
            return ev.SpeechRecognised(phrase, min(confidence, similarity), unsure=True)
        case Reject(reason="no-speech"):
            return None
        case _:
            return ev.SpeechRecognised("", 0.0)


def phrase_options(grammar: tuple[str, ...]) -> list[MenuOption]:
    """Each phrase its own option: the engine maps the phrase back to its menu option."""
    return [MenuOption(phrase, (phrase,)) for phrase in grammar]


def hear(
    grammar: tuple[str, ...],
    language: str,
    heard: Transcript,
    *,
    grammar_mode: bool = True,
    freeform: Transcript | None = None,
    evidence: Evidence = NO_EVIDENCE,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Decision:
    """The matcher's decision on one utterance heard by a menu listening with `grammar`."""
    return decide(
        phrase_options(grammar),
        heard,
        grammar_mode=grammar_mode,
        freeform=freeform,
        language=language,
        thresholds=thresholds,
        evidence=evidence,
    )


def text_transcript(text: str) -> Transcript:
    """The simulator's transcript of `text`: every word at `SIMULATED_CONFIDENCE`."""
    return Transcript(text, (), SIMULATED_CONFIDENCE if text.strip() else 0.0)


def hear_text(
    grammar: tuple[str, ...], language: str, text: str, *, grammar_mode: bool = True
) -> ev.SpeechRecognised | None:
    """What the engine is told when a caller listened to with `grammar` says `text`."""
    heard = text_transcript(text)
    return speech_event(hear(grammar, language, heard, grammar_mode=grammar_mode))
