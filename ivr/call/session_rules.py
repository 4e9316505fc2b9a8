"""Small pure rules of the call session (`ivr.call.session`): which commands need the caller's
channel, the name of an ARI hang-up cause, the outcome name of a finished engine state.
"""

from __future__ import annotations

from ivr.engine import commands as cmd
from ivr.engine.state import CallState


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
