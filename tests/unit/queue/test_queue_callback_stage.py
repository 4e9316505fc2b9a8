"""The stages of an in-queue callback that its follow-up item follows (pure)."""

from __future__ import annotations

from ivr.queue.callback_stage import stage
from ivr.queue.waiting import AgentHungUp, BridgeFailed, BridgeJoined, ClientDialFailed, Phase

P = Phase


def test_stages() -> None:
    joined, failed = BridgeJoined("a"), BridgeFailed("c")
    assert stage(P.CALLBACK_BRIDGING, P.CALLING_BACK, joined) == "calling"
    assert stage(P.CALLING_BACK, P.CALLBACK_BRIDGED, joined) == "bridged"
    assert stage(P.CALLBACK_BRIDGED, P.ENDED, AgentHungUp("a")) == "done"
    assert stage(P.CALLBACK_BRIDGED, P.ENDED, failed) == "failed"
    assert stage(P.CALLING_BACK, P.ENDED, ClientDialFailed("c", "busy")) == "failed"
    assert stage(P.BRIDGED, P.ENDED, AgentHungUp("a")) is None  # not a callback
    assert stage(P.CALLBACK_BRIDGING, P.CALLBACK_WAITING, failed) is None  # back in line
