"""Intent matching (pure): recognised text + per-word confidences -> the menu option, or not.

Rules:
- Text becomes *units*: each Chinese character one toneless pinyin syllable (pypinyin), every
  other token one normalised word (lowercase, punctuation stripped). Units compare with a cost in
  [0, 1]: syllables by initial and final (near pairs such as zh/z, n/l, in/ing cost little, so
  保障金 ~ 保证金 and 夏单 == 下单), words by character edit distance.
- Each option's phrases are spotted in the text as the best-matching window (approximate
  substring match); similarity = 1 - edit cost / max(phrase, window) length.
- Thresholds: similarity >= accept_similarity and window words' lowest confidence >=
  accept_confidence -> `Accept`; similarity >= confirm_similarity and confidence >=
  confirm_confidence -> `Confirm` (with the confirmation question); else `Reject`.
- Grammar mode (the false-positive guard): grammar-mode confidence is unreliable (wrong words
  score 1.0) and a model without `[unk]` forces out-of-grammar speech onto grammar words, which
  shows as *several* grammar words, words of several options, or words out of phrase order. So
  in grammar mode any recognised unit outside the matched window rejects ("out-of-grammar"),
  `[unk]` outside the window caps the result at `Confirm`. Word confidences under the window
  below `accept_confidence` cap the result at `Confirm`, below `confirm_confidence` reject.
  A free-form pass over the same audio, when given with decoding scores, is a second opinion:
  margin = (grammar score - free-form score) per second of speech. Below `min_margin_per_s`
  the grammar forced other speech onto its words ("out-of-grammar"). A clipped utterance
  (speech already going when listening began: live endpointing handed over the tail of a
  sentence) must last `clipped_ms_per_syllable` per syllable of what was recognised and reach
  `clipped_margin_per_s` ("clipped" otherwise); without a free-form pass it is capped at
  `Confirm`. Then the free-form text vetoes an `Accept` if it spots a
  different option (-> `Confirm`) and upgrades a `Confirm` to `Accept` when it spots the same.
- Free-form mode (keyword spotting, menus without a grammar): extra words are allowed; two
  options matching nearly equally well reject as "ambiguous".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pypinyin import Style, pinyin


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Transcript:
    """One recognised utterance: text, per-word confidences, overall (lowest word) confidence,
    and (from a scored decoder) the best path's decoding score, higher is better."""

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 0.0
    score: float | None = None


@dataclass(frozen=True, slots=True)
class MenuOption:
    option_id: str
    phrases: tuple[str, ...]
    label: str = ""  # what the confirmation question names; defaults to the first phrase

    @property
    def spoken_label(self) -> str:
        return self.label or self.phrases[0]


@dataclass(frozen=True, slots=True)
class Thresholds:
    accept_similarity: float = 0.85
    confirm_similarity: float = 0.5
    accept_confidence: float = 0.55
    confirm_confidence: float = 0.3
    ambiguity_margin: float = 0.1
    # grammar score minus free-form score, per second of speech, below which the free-form
    # pass explains the audio so much better that the caller said something else
    min_margin_per_s: float = -25.0
    # the same for a clipped utterance (a likely fragment): the grammar must explain it at
    # least this well
    clipped_margin_per_s: float = -15.0
    # a clipped utterance with less voiced time than this per syllable of the phrase is too
    # short to hold the phrase: the grammar stretched a scrap of other speech onto it
    clipped_ms_per_syllable: int = 140


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the recognizer knows about the utterance besides its transcripts."""

    clipped: bool = False  # speech was already going when listening began: a fragment
    speech_ms: int = 0  # voiced length, from speech start to the last voiced frame


@dataclass(frozen=True, slots=True)
class Accept:
    option_id: str
    similarity: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Confirm:
    option_id: str
    question: str
    similarity: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str  # "no-speech" | "no-match" | "out-of-grammar" | "ambiguous" | "low-confidence"
    # | "clipped"


Decision = Accept | Confirm | Reject

QUESTIONS = {
    "zh": "您是要办理{label}吗？确认请按1",
    "en": "Did you want {label}? To confirm, press 1.",
    "ko": "{label}, 맞습니까? 맞으면 1번을 누르세요.",
}


def confirmation_question(label: str, language: str) -> str:
    template = QUESTIONS.get(language.split("-")[0].lower(), QUESTIONS["en"])
    return template.format(label=label)


# --- units -------------------------------------------------------------------------------

UNK = "[unk]"
_PUNCT = re.compile(r"[^\w\s\[\]']+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Unit:
    text: str  # the word, or the toneless pinyin syllable
    initial: str = ""
    final: str = ""
    syllable: bool = False
    word_index: int = field(default=-1, compare=False)


@lru_cache(maxsize=4096)
def _syllable(char: str) -> tuple[str, str, str]:
    full = pinyin(char, style=Style.NORMAL, strict=False)[0][0]
    initial = pinyin(char, style=Style.INITIALS, strict=False)[0][0]
    final = full[len(initial) :] if full.startswith(initial) else full
    return full, initial, final


def normalise(text: str) -> str:
    """Lowercase, punctuation removed (CJK punctuation too), whitespace collapsed."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def to_units(text: str) -> list[Unit]:
    units: list[Unit] = []
    for index, token in enumerate(normalise(text).split()):
        if token != UNK and _CJK.search(token):
            for char in token:
                if _CJK.match(char):
                    full, ini, fin = _syllable(char)
                    units.append(Unit(full, ini, fin, syllable=True, word_index=index))
        else:
            units.append(Unit(token, word_index=index))
    return units


# --- costs -------------------------------------------------------------------------------

NEAR_INITIALS = frozenset(
    frozenset(p)
    for p in (("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"), ("f", "h"), ("r", "l"))
)
NEAR_FINALS = frozenset(
    frozenset(p)
    for p in (("an", "ang"), ("en", "eng"), ("in", "ing"), ("ian", "iang"), ("uan", "uang"))
)
NEAR_COST = 0.25


def levenshtein(a: Sequence[object], b: Sequence[object]) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _part_cost(a: str, b: str, near: frozenset[frozenset[str]]) -> float:
    if a == b:
        return 0.0
    if frozenset((a, b)) in near:
        return NEAR_COST
    return levenshtein(a, b) / max(len(a), len(b), 1)


def unit_cost(a: Unit, b: Unit) -> float:
    """0 for the same word/syllable (tones ignored), up to 1 for unrelated units."""
    if a.text == b.text:
        return 0.0
    if a.syllable and b.syllable:
        initial = _part_cost(a.initial, b.initial, NEAR_INITIALS)
        final = _part_cost(a.final, b.final, NEAR_FINALS)
        return 0.5 * initial + 0.5 * final
    if UNK in (a.text, b.text):
        return 1.0
    return levenshtein(a.text, b.text) / max(len(a.text), len(b.text))


def edit_cost(a: Sequence[Unit], b: Sequence[Unit]) -> float:
    previous = [float(j) for j in range(len(b) + 1)]
    for i, x in enumerate(a, 1):
        current = [float(i)]
        for j, y in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + unit_cost(x, y))
            )
        previous = current
    return previous[-1]


# --- spotting ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spot:
    """Where an option's best phrase sits in the text, and how well it matches."""

    option_id: str
    similarity: float
    start: int  # unit window [start, end) of the text
    end: int


def spot_phrase(phrase: Sequence[Unit], text: Sequence[Unit]) -> tuple[float, int, int]:
    """Best window of `text` for `phrase`: (similarity, start, end); windows up to len+2 units."""
    best = (0.0, 0, 0)
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + len(phrase) + 2) + 1):
            window = text[start:end]
            similarity = 1.0 - edit_cost(phrase, window) / max(len(phrase), len(window))
            if similarity > best[0] or (similarity == best[0] and end - start > best[2] - best[1]):
                best = (similarity, start, end)
    return best


def spot_options(options: Sequence[MenuOption], text: Sequence[Unit]) -> list[Spot]:
    """Every option's best spot, best first (ties keep menu order)."""
    spots: list[Spot] = []
    for option in options:
        candidates = [spot_phrase(to_units(p), text) for p in option.phrases]
        similarity, start, end = max(candidates, key=lambda c: (c[0], c[2] - c[1]))
        spots.append(Spot(option.option_id, similarity, start, end))
    return sorted(spots, key=lambda s: -s.similarity)


def window_confidence(heard: Transcript, text: Sequence[Unit], spot: Spot) -> float:
    """Lowest confidence of the words under the spot (the transcript's when words are absent)."""
    indexes = {u.word_index for u in text[spot.start : spot.end]}
    if not heard.words or max(indexes) >= len(heard.words):
        return heard.confidence
    return min(heard.words[i].confidence for i in indexes)


# --- decision ----------------------------------------------------------------------------


def decide(
    options: Sequence[MenuOption],
    heard: Transcript,
    *,
    grammar_mode: bool,
    freeform: Transcript | None = None,
    language: str = "zh-CN",
    thresholds: Thresholds = Thresholds(),
    evidence: Evidence = Evidence(),
) -> Decision:
    """The menu's answer to one utterance (see the module docstring for the rules)."""
    text = to_units(heard.text)
    if not text or all(u.text == UNK for u in text):
        return Reject("no-speech" if not text else "no-match")
    spots = spot_options(options, text)
    top = spots[0]
    if top.similarity < thresholds.confirm_similarity:
        return Reject("no-match")
    outside = text[: top.start] + text[top.end :]
    capped = False
    if grammar_mode and outside:
        if any(u.text != UNK for u in outside):
            return Reject("out-of-grammar")
        capped = True
    elif not grammar_mode and len(spots) > 1:
        runner_up = spots[1]
        if runner_up.similarity >= thresholds.confirm_similarity and (
            top.similarity - runner_up.similarity < thresholds.ambiguity_margin
        ):
            return Reject("ambiguous")
    confidence = window_confidence(heard, text, top)
    decision = _level(options, top, confidence, capped, language, thresholds)
    if not grammar_mode or isinstance(decision, Reject):
        return decision
    margin = score_margin(heard, freeform, evidence.speech_ms)
    if evidence.clipped:
        per_syllable = evidence.speech_ms / max(1, syllables(heard.text))
        if per_syllable < thresholds.clipped_ms_per_syllable:
            return Reject("clipped")
        if margin is None:  # no second opinion on a fragment: ask, never act on it
            return _confirm(options, decision.option_id, top.similarity, confidence, language)
        if margin < thresholds.clipped_margin_per_s:
            return Reject("clipped")
    elif margin is not None and margin < thresholds.min_margin_per_s:
        return Reject("out-of-grammar")
    if freeform is not None:
        decision = _corroborate(options, decision, freeform, language, thresholds)
    return decision


def score_margin(heard: Transcript, freeform: Transcript | None, speech_ms: int) -> float | None:
    """(grammar score - free-form score) per second of speech; None without both scores."""
    if freeform is None or heard.score is None or freeform.score is None:
        return None
    return (heard.score - freeform.score) / max(speech_ms, MIN_SPEECH_MS) * 1000.0


MIN_SPEECH_MS = 200  # a shorter voiced run is scored as this long (no division by ~0)
_SYLLABIC = re.compile(r"[\u4e00-\u9fff\uac00-\ud7a3]")  # one character, one syllable
_VOWELS = re.compile(r"[aeiouy]+")


def syllables(text: str) -> int:
    """About how many syllables `text` has: CJK and Hangul characters, vowel groups else."""
    rest = _SYLLABIC.sub(" ", normalise(text).replace(UNK, " "))
    return len(_SYLLABIC.findall(text)) + len(_VOWELS.findall(rest))


def _level(
    options: Sequence[MenuOption],
    top: Spot,
    confidence: float,
    capped: bool,
    language: str,
    thresholds: Thresholds,
) -> Decision:
    if (
        not capped
        and top.similarity >= thresholds.accept_similarity
        and confidence >= thresholds.accept_confidence
    ):
        return Accept(top.option_id, top.similarity, confidence)
    if confidence >= thresholds.confirm_confidence:
        return _confirm(options, top.option_id, top.similarity, confidence, language)
    return Reject("low-confidence")


def _confirm(
    options: Sequence[MenuOption], option_id: str, similarity: float, confidence: float, lang: str
) -> Confirm:
    option = next(o for o in options if o.option_id == option_id)
    question = confirmation_question(option.spoken_label, lang)
    return Confirm(option_id, question, similarity, confidence)


def _corroborate(
    options: Sequence[MenuOption],
    decision: Accept | Confirm,
    freeform: Transcript,
    language: str,
    thresholds: Thresholds,
) -> Decision:
    """The parallel free-form pass: veto an Accept it contradicts, upgrade a Confirm it backs."""
    text = to_units(freeform.text)
    if not text:
        return decision
    spot = spot_options(options, text)[0]
    if spot.similarity < thresholds.accept_similarity:
        return decision
    if isinstance(decision, Accept) and spot.option_id != decision.option_id:
        return _confirm(
            options, decision.option_id, decision.similarity, decision.confidence, language
        )
    if isinstance(decision, Confirm) and spot.option_id == decision.option_id:
        return Accept(decision.option_id, decision.similarity, decision.confidence)
    return decision
