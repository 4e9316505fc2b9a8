"""`Run`: the scratchpad of one engine step (new state + commands so far). Internal to the engine.

Rules: a `Run` lives for one `start`/`step` call only; it never outlives it, so the public API stays
pure (state in, state + commands out). Helpers here emit commands and keep `CallState` in step
with them (pending playbacks, timers, recognition), and render prompts for the call's language
with masked variables masked and typed slots spoken (`ivr.engine.speakable`).
"""

from __future__ import annotations

from typing import Any

from ivr.engine import commands as c
from ivr.engine import model as m
from ivr.engine.events import PlaybackId, TimerName
from ivr.engine.masking import MaskMode
from ivr.engine.speakable import speak_or_raw
from ivr.engine.state import CallState, Outcome, OutcomeKind
from ivr.engine.templates import render, variables_in

SPEECH_RATE = "speech_rate"  # a call variable: "slow" -> every later prompt spoken slower

INPUT_TIMER = TimerName("input")
LOOKUP_TIMER = TimerName("lookup")
MAX_PATH = 50


class Run:
    def __init__(self, flows: m.FlowSet, state: CallState) -> None:
        self.flows = flows
        self.state = state
        self.commands: list[c.Command] = []

    # ---- state ----

    @property
    def flow(self) -> m.Flow:
        return self.flows.flows[self.state.flow]

    @property
    def node(self) -> m.Node:
        return self.flow.nodes[self.state.node]

    def update(self, **changes: Any) -> None:
        self.state = self.state.evolve(changes)

    def next_id(self, prefix: str) -> str:
        seq = self.state.seq + 1
        self.update(seq=seq)
        return f"{prefix}-{seq}"

    def set_var(self, name: str, value: str, mask: MaskMode | None = None) -> None:
        masked = dict(self.state.masked)
        if mask:
            masked[name] = mask
        else:
            masked.pop(name, None)
        self.update(variables={**self.state.variables, name: value}, masked=masked)

    def enter_path(self, node_id: str) -> None:
        self.update(path=(*self.state.path, node_id)[-MAX_PATH:])

    # ---- templates ----

    def shown(self, template: str) -> str:
        """Rendered for people: masked variables masked."""
        return render(template, self.state.shown)

    def spoken(self, template: str, language: str) -> str:
        """Rendered for the voice: typed slots in their spoken form in `language`. An `account`
        slot of a partly masked variable reads the clear value (it speaks only the last 4
        digits); fully masked variables (a PIN) and other slots stay masked."""

        def typed(name: str, kind: str) -> str:
            clear = kind == "account" and self.state.masked.get(name) == "partial"
            value = self.state.variables.get(name, "") if clear else self.state.shown(name)
            return speak_or_raw(kind, value, language)

        return render(template, self.state.shown, typed)

    def clear(self, template: str) -> tuple[str, MaskMode | None]:
        """Rendered with clear values, and the mask the result needs (if it used a secret)."""
        secret = any(name in self.state.masked for name in variables_in(template))
        value = render(template, lambda name: self.state.variables.get(name, ""))
        return value, ("full" if secret else None)

    # ---- commands ----

    def emit(self, *commands: c.Command) -> None:
        self.commands.extend(commands)

    def trace(self, kind: c.TraceKind, /, **detail: str) -> None:
        entry = c.TraceEntry(self.state.flow, self.state.node, kind, detail)
        self.commands.append(c.WriteTrace(entry))

    def play(self, prompt: m.PromptDef) -> None:
        language = self.state.language
        content = prompt.contents.get(language)
        if content is None:  # the validator prevents it; stay safe at run time
            language = self.flow.default_language
            content = prompt.contents.get(language) or next(iter(prompt.contents.values()))
        playback = PlaybackId(self.next_id("pb"))
        rendered: c.Prompt
        if isinstance(content, m.AudioContent):
            rendered = c.AudioPrompt(content.path, language)
            self.trace("prompt", playback_id=playback, audio=content.path)
        else:
            private = bool(variables_in(content.text))  # filled in from this caller's data
            text = self.spoken(content.text, language)
            slow = self.state.variables.get(SPEECH_RATE) == "slow"
            rendered = c.TtsPrompt(text, language, content.voice, private, slow)
            self.trace("prompt", playback_id=playback, text=rendered.text)
        self.emit(c.PlayPrompt(playback, rendered))
        self.update(playing=(*self.state.playing, playback), phase="prompt")

    def stop_playing(self) -> None:
        for playback in self.state.playing:
            self.emit(c.StopPlayback(playback))
        self.update(playing=())

    def start_timer(self, name: TimerName, duration_s: float) -> None:
        self.emit(c.StartTimer(name, duration_s))
        self.update(timers=self.state.timers | {name})

    def cancel_timer(self, name: TimerName) -> None:
        if name in self.state.timers:
            self.emit(c.CancelTimer(name))
            self.update(timers=self.state.timers - {name})

    def start_recognition(self, grammar: tuple[str, ...]) -> None:
        if not self.state.recognizing:
            self.emit(c.StartRecognition(self.state.language, grammar))
            self.update(recognizing=True)

    def stop_recognition(self) -> None:
        if self.state.recognizing:
            self.emit(c.StopRecognition())
            self.update(recognizing=False)

    def leave(self) -> None:
        """Quiet the current node: playbacks, timers and recognition stop."""
        self.stop_playing()
        for name in sorted(self.state.timers):
            self.cancel_timer(name)
        self.stop_recognition()

    def finish(self, kind: OutcomeKind, *, hangup: str | None = None, **extra: Any) -> None:
        """End the call's flow with an outcome (and a Hangup command when `hangup` is given)."""
        self.leave()
        outcome = Outcome(kind, self.state.flow, self.state.node, **extra)
        detail = {k: str(v) for k, v in outcome.as_dict().items() if k not in ("flow", "node")}
        self.trace("end", **detail)
        if hangup is not None:
            self.emit(c.Hangup(hangup))
        self.update(finished=True, outcome=outcome, phase="idle")
