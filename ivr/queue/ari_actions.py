"""The ARI half of the waiting-call lifecycle's actions: music on hold, hang-ups, bridges.

Rules: each function does one lifecycle action over ARI. A channel or bridge already gone is
harmless (`run`); a bridge that cannot be made becomes `BridgeFailed`, logged, never raised.
"""

from __future__ import annotations

import contextlib
import logging

from ivr.ari import AriError, AriRest, ChannelId
from ivr.queue import waiting as w

log = logging.getLogger(__name__)

AriAction = w.StartMoh | w.StopMoh | w.DestroyBridge | w.HangUp


async def run(rest: AriRest, action: AriAction) -> None:
    """Music on hold on/off, a hang-up, a bridge destroyed: already gone is fine."""
    with contextlib.suppress(AriError):
        match action:
            case w.StartMoh(channel=channel):
                await rest.start_moh(ChannelId(channel))
            case w.StopMoh(channel=channel):
                await rest.stop_moh(ChannelId(channel))
            case w.HangUp(channel=channel):
                await rest.hangup(ChannelId(channel))
            case w.DestroyBridge(bridge=bridge):
                await rest.destroy_bridge(bridge)


async def join(rest: AriRest, action: w.JoinBridge) -> w.BridgeJoined | w.BridgeFailed:
    """Make the bridge if asked and put the channels in it."""
    try:
        if action.create:
            await rest.create_bridge("mixing", bridge_id=action.bridge)
        for channel in action.channels:
            await rest.add_channel(action.bridge, ChannelId(channel))
    except AriError as exc:
        log.error("bridging leg=%s failed: %s", action.leg, exc)
        return w.BridgeFailed(action.leg)
    return w.BridgeJoined(action.leg)
