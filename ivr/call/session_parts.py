"""The small, pure parts of a call session (`ivr.call.session`): its time limits, the fallback
text, the mailbox item, and how commands, hang-up causes and outcomes are named.

Rules: plain values and functions; the one I/O is `finished_meanwhile` (ARI reads after a
lost events websocket).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ivr.ari import AriNotFound, AriRest
from ivr.engine import commands as cmd
from ivr.engine import events as ev
from ivr.engine.run import SPEECH_RATE
from ivr.engine.state import CallState

Started = tuple[CallState, list[cmd.Command]]  # where an engine run begins: (state, commands)
CLEANUP_TIMEOUT_S = 2.0
SEAL_TIMEOUT_S = 10.0  # stop + fetch + hash of the call's recordings at its end
FALLBACK_WAIT_S = 15.0
FALLBACK_TEXT = {
    "zh-CN": "抱歉，系统暂时繁忙，请稍后再拨。",
    "en": "Sorry, our system is busy. Please call again later.",
}


@dataclass
class Pending:
    """An engine event and when its cause arrived (for event->action latency)."""

    event: ev.Event
    arrived: float = field(default_factory=time.perf_counter)


def needs_channel(command: cmd.Command) -> bool:
    return isinstance(
        command,
        cmd.PlayPrompt
        | cmd.StopPlayback
        | cmd.Record
        | cmd.StopRecording
        | cmd.Transfer
        | cmd.Hangup
        | cmd.Enqueue,
    )


def cause_text(cause: int | None) -> str:
    names = {16: "normal", 17: "busy", 19: "no_answer", 21: "rejected", 32: "hangup_request"}
    if cause is None:
        return "unknown"
    return names.get(cause, f"cause_{cause}")


def outcome_name(state: CallState) -> str:
    return state.outcome.kind if state.outcome is not None else "unknown"


def said_prompt(texts: dict[str, str], language: str, state: CallState | None) -> cmd.TtsPrompt:
    """A runtime prompt (apology, fallback) in the call's language, slow when the caller chose
    slower speech (the flow variable `speech_rate`)."""
    slow = state is not None and state.variables.get(SPEECH_RATE) == "slow"
    return cmd.TtsPrompt(texts.get(language, texts["zh-CN"]), language, slow=slow)


async def finished_meanwhile(
    rest: AriRest, playbacks: dict[str, ev.PlaybackId], post: Callable[[ev.Event], None]
) -> None:
    """After the events websocket was lost: each prompt of the call that finished meanwhile
    (its `PlaybackFinished` lost with the socket) is finished now, so the flow goes on."""
    for ari_id, pid in list(playbacks.items()):
        try:
            await rest.get_playback(ari_id)
        except AriNotFound:
            if playbacks.pop(ari_id, None) is not None:
                post(ev.PromptFinished(pid))
