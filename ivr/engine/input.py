"""Caller input for `menu` and `collect` nodes: matching, retries, barge-in. Pure helpers.

Each function takes the step's `Run` and the current node, emits what the input causes, and
returns the id of the node to go to next (same flow), or None to stay and wait.
Barge-in: input while the prompt plays stops it (`StopPlayback`) and counts.
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
    option = next((o for o in node.options if o.key == digit), None)
    if option is None:
        return retry(run, node, "no_match")
    return choose(run, option, via="key")


def menu_speech(run: Run, node: m.MenuNode, text: str, confidence: float) -> str | None:
    barge_in(run)
    run.trace("input", speech=text, confidence=f"{confidence:.2f}")
    if confidence < node.min_confidence:
        return retry(run, node, "low_confidence")
    option = match_phrase(node, run.state.language, text)
    if option is None:
        return retry(run, node, "no_match")
    return choose(run, option, via="speech")


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
