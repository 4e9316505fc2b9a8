"""Caller input for `menu` and `collect` nodes: matching, retries, barge-in. Pure helpers.

Each function takes the step's `Run` and the current node, emits what the input causes, and
returns the id of the node to go to next (same flow), or None to stay and wait.
Barge-in: input while the prompt plays stops it (`StopPlayback`) and counts.
Confirmation: a menu with `confirm_below` does not act on speech heard with a confidence
between `min_confidence` and `confirm_below`, nor on speech the recogniser marks `unsure`: it
asks "您是要…吗？是请按1，不是请按2" (or the node's `confirm_prompt`) and listens for 1/2 and
yes/no words. Yes acts on the option; no, anything else or silence re-asks the menu (a retry).
The option's own phrase heard again meanwhile (the tail of the same utterance, decided late),
and speech the recogniser could not make out, are not answers and are ignored.
Unsure speech in a menu without `confirm_below` is a low-confidence retry.
Replay: the flow's `replay_key` (default `*`) in a menu or digit entry plays its prompt again
(the yes/no question while confirming), unless that node uses the key itself (a menu option,
a collect's terminator or decimal key). Digits typed so far are dropped; no attempt is counted.
A collect's `decimal_key` types "." into the value; a value with more than one is invalid.
"""

from __future__ import annotations

import re

from ivr.engine import model as m
from ivr.engine.masking import HIDDEN
from ivr.engine.run import INPUT_TIMER, Run

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
DECIMAL_POINT = "."


def normalise(text: str) -> str:
    """Lower case without spaces and punctuation ("Emergency order!" -> "emergencyorder")."""
    return _NOISE.sub("", text).lower()


def barge_in(run: Run) -> None:
    if run.state.playing:
        run.trace("decision", barge_in="true")
        run.stop_playing()
    run.update(phase="input")


# ---- menu -------------------------------------------------------------------------------------


def menu_digit(run: Run, node: m.MenuNode, digit: str) -> str | None:
    barge_in(run)
    run.trace("input", digit=digit)
    if run.state.confirming is not None:
        return confirmed(run, node, {"1": True, "2": False}.get(digit))
    option = next((o for o in node.options if o.key == digit), None)
    if option is None:
        return retry(run, node, "no_match")
    return choose(run, option, via="key")


def menu_speech(
    run: Run, node: m.MenuNode, text: str, confidence: float, unsure: bool = False
) -> str | None:
    barge_in(run)
    run.trace("input", speech=text, confidence=f"{confidence:.2f}", **unsure_mark(unsure))
    if run.state.confirming is not None:
        answer = yes_or_no(run.state.language, text)
        if answer is None and not normalise(text):  # noise the recogniser could not make out
            run.trace("decision", ignored="no yes/no heard")
            return None
        if (
            answer is None
            and match_phrase(node, run.state.language, text) is (node.options[run.state.confirming])
        ):  # the rest of the utterance being confirmed, decided late: not an answer
            run.trace("decision", ignored="repeat of the option being confirmed")
            return None
        return confirmed(run, node, answer)
    if confidence < node.min_confidence:
        return retry(run, node, "low_confidence")
    option = match_phrase(node, run.state.language, text)
    if option is None:
        return retry(run, node, "no_match")
    doubtful = unsure or (node.confirm_below is not None and confidence < node.confirm_below)
    if doubtful and node.confirm_below is not None:
        ask_confirmation(run, node, option)
        return None
    if doubtful:
        return retry(run, node, "low_confidence")
    return choose(run, option, via="speech")


def unsure_mark(unsure: bool) -> dict[str, str]:
    return {"unsure": "true"} if unsure else {}


# ---- replay ----------------------------------------------------------------------------------


def is_replay(key: str, node: m.MenuNode | m.CollectNode, digit: str) -> bool:
    if not key or digit != key:
        return False
    if isinstance(node, m.MenuNode):
        return all(option.key != key for option in node.options)
    return key not in (node.terminator, node.decimal_key)


def replay(run: Run, node: m.MenuNode | m.CollectNode) -> None:
    """The caller asked to hear the prompt again."""
    run.trace("input", digit=run.flow.replay_key, replay="true")
    run.stop_playing()
    run.cancel_timer(INPUT_TIMER)
    run.update(digits="")
    if isinstance(node, m.MenuNode) and run.state.confirming is not None:
        index = run.state.confirming
        run.update(confirming=None)
        ask_confirmation(run, node, node.options[index])
        return
    run.play(node.prompt)


# ---- confirmation -----------------------------------------------------------------------------

YES_NO: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "zh": (("是", "是的", "对", "对的", "确认", "没错"), ("不是", "不对", "不", "错了", "不要")),
    "en": (("yes", "yeah", "yep", "correct", "right"), ("no", "nope", "wrong", "not that")),
    "ko": (("네", "예"), ("아니요", "아니")),  # words of the Korean test model
}
DEFAULT_QUESTION = {
    "zh": "您是要{option}吗？是请按1，不是请按2。",
    "en": "Did you mean {option}? Press 1 for yes, or 2 for no.",
    "ko": "{option} 맞습니까? 맞으면 1번, 아니면 2번을 누르세요.",
}


def _lang(language: str) -> str:
    base = language.split("-")[0].lower()
    return base if base in YES_NO else "en"


def yes_no_phrases(language: str) -> tuple[str, ...]:
    yes, no = YES_NO[_lang(language)]
    return (*yes, *no)


def yes_or_no(language: str, text: str) -> bool | None:
    """True for a yes word, False for a no word (no words are checked first: 不是 holds 是)."""
    heard = normalise(text)
    yes, no = YES_NO[_lang(language)]
    if heard in {normalise(w) for w in no}:
        return False
    if heard in {normalise(w) for w in yes}:
        return True
    return None


def option_name(option: m.Option, language: str) -> str:
    phrases = option.phrases.get(language, ())
    return option.label or (phrases[0] if phrases else option.key or option.next)


def ask_confirmation(run: Run, node: m.MenuNode, option: m.Option) -> None:
    index = node.options.index(option)
    run.trace("decision", confirm=option_name(option, run.state.language))
    run.cancel_timer(INPUT_TIMER)
    run.stop_recognition()
    run.update(confirming=index)
    name = option_name(option, run.state.language)
    prompt = node.confirm_prompt or m.PromptDef(
        {lang: m.TtsContent(DEFAULT_QUESTION[_lang(lang)]) for lang in run.flow.languages}
    )
    run.play(with_option(prompt, name))
    if node.speech:
        run.start_recognition(yes_no_phrases(run.state.language))


def with_option(prompt: m.PromptDef, name: str) -> m.PromptDef:
    """`prompt` with `{option}` replaced by the option's name (other slots left as they are)."""
    contents: dict[str, m.Content] = {}
    for lang, content in prompt.contents.items():
        if isinstance(content, m.TtsContent):
            content = m.TtsContent(content.text.replace("{option}", name), content.voice)
        contents[lang] = content
    return m.PromptDef(contents, prompt.pos, prompt.marks)


def confirmed(run: Run, node: m.MenuNode, answer: bool | None) -> str | None:
    """The caller's answer to the yes/no question (None: neither)."""
    index = run.state.confirming
    assert index is not None
    run.update(confirming=None)
    run.stop_recognition()
    if answer is True:
        run.trace("decision", confirmed="yes")
        return choose(run, node.options[index], via="speech")
    restart_menu_recognition(run, node)
    return retry(run, node, "not_confirmed" if answer is False else "no_match")


def restart_menu_recognition(run: Run, node: m.MenuNode) -> None:
    grammar = tuple(p for o in node.options for p in o.phrases.get(run.state.language, ()))
    if node.speech and grammar:
        run.start_recognition(grammar)


def match_phrase(node: m.MenuNode, language: str, text: str) -> m.Option | None:
    heard = normalise(text)
    if not heard:
        return None
    for exact in (True, False):
        for option in node.options:
            for phrase in option.phrases.get(language, ()):
                wanted = normalise(phrase)
                if wanted and (heard == wanted if exact else wanted in heard):
                    return option
    return None


def menu_no_input(run: Run, node: m.MenuNode) -> str | None:
    if run.state.confirming is not None:
        run.update(confirming=None)
        run.stop_recognition()
        restart_menu_recognition(run, node)
    return retry(run, node, "no_input")


def choose(run: Run, option: m.Option, *, via: str) -> str:
    if option.intent:
        run.set_var("intent", option.intent)
    run.trace("decision", next=option.next, via=via)
    return option.next


def retry(run: Run, node: m.MenuNode | m.CollectNode, why: str) -> str | None:
    """A failed attempt: re-prompt, or the fallback once the retries are used up."""
    run.cancel_timer(INPUT_TIMER)
    attempt = run.state.retries + 1
    if attempt > node.retries:
        run.trace("decision", next=node.fallback, why=why, attempts=str(attempt))
        return node.fallback
    run.trace("decision", retry=str(attempt), why=why)
    run.update(retries=attempt, digits="")
    error_prompt = node.no_input_prompt if why == "no_input" else error_prompt_of(node)
    if error_prompt is not None:
        run.play(error_prompt)
    run.play(node.prompt)
    return None


def error_prompt_of(node: m.MenuNode | m.CollectNode) -> m.PromptDef | None:
    return node.no_match_prompt if isinstance(node, m.MenuNode) else node.invalid_prompt


# ---- collect ----------------------------------------------------------------------------------


def collect_digit(run: Run, node: m.CollectNode, digit: str) -> str | None:
    barge_in(run)
    run.trace("input", digit=HIDDEN if node.mask else digit)
    if node.terminator and digit == node.terminator:
        return collect_done(run, node)
    digits = run.state.digits + (DECIMAL_POINT if digit == node.decimal_key else digit)
    run.update(digits=digits)
    if len(digits) >= node.max_digits:
        return collect_done(run, node)
    run.start_timer(INPUT_TIMER, node.interdigit_timeout_s)
    return None


def collect_timeout(run: Run, node: m.CollectNode) -> str | None:
    if run.state.digits:
        return collect_done(run, node)
    return retry(run, node, "no_input")


def collect_done(run: Run, node: m.CollectNode) -> str | None:
    value = run.state.digits
    run.update(digits="")
    run.cancel_timer(INPUT_TIMER)
    if not valid_value(node, value):
        return retry(run, node, "invalid")
    run.set_var(node.var, value, node.mask)
    run.trace("decision", next=node.next, var=node.var, value=run.state.shown(node.var))
    return node.next


def valid_value(node: m.CollectNode, value: str) -> bool:
    """Long enough, at most one decimal point (typed by `decimal_key`), matching `pattern`."""
    if len(value) < node.min_digits or value.count(DECIMAL_POINT) > 1:
        return False
    return node.pattern is None or re.fullmatch(node.pattern, value) is not None
