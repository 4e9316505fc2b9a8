"""What an ARI event of an agent's (or a callback client's) leg means to the lifecycle.

Rules: pure translation, no I/O: StasisStart -> answered; a failed `Dial` -> dial failed;
hang-up request, StasisEnd or destroyed -> hung up; anything else -> None.
"""

from __future__ import annotations

from ivr import ari
from ivr.queue import lifecycle
from ivr.queue.waiting import (
    AgentAnswered,
    AgentDialFailed,
    AgentHungUp,
    ClientAnswered,
    ClientDialFailed,
    ClientHungUp,
    Event,
)


def leg_event(event: ari.AriEvent, leg: str, *, client: bool) -> Event | None:
    """The lifecycle event an ARI event of an agent's (or the client's) leg means, if any."""
    match event:
        case ari.StasisStart():
            return ClientAnswered(leg) if client else AgentAnswered(leg)
        case ari.Dial(dialstatus=status) if status in lifecycle.FAILED_DIAL:
            reason = status.lower()
            return ClientDialFailed(leg, reason) if client else AgentDialFailed(leg, reason)
        case ari.ChannelDestroyed() | ari.StasisEnd() | ari.ChannelHangupRequest():
            return ClientHungUp(leg) if client else AgentHungUp(leg)
    return None
