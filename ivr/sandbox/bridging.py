"""Bridges of the sandbox switch: create, add/remove channels, music on hold, destroy.

Role: `mixing` bridges created over REST (no `BridgeCreated`, as on Asterisk); channels join
and leave through `BridgeCore` (`ChannelEnteredBridge`, `ChannelLeftBridge`, `BRIDGEPEER`,
connected line). `DELETE /bridges/{id}` ejects its members (`ChannelLeftBridge`), fails its
playback, ends its recording, and sends `BridgeDestroyed` only if no channel was left in it;
`removeChannel` that empties a bridge makes its playback vanish without `PlaybackFinished`.
Bridge music on hold is an `Announcer/ARI_MOH-...;2` member (`docs/asterisk-behaviour.md`,
"Bridges").

Rules: built on `SwitchCore`; errors are `AriErrorReply` with Asterisk's messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.hangup import SwitchCore
from ivr.sandbox.model import Bridge, BridgeId, Channel, ChannelId


class Bridging:
    """Bridge operations."""

    def __init__(self, sw: SwitchCore) -> None:
        self.sw = sw

    def create_bridge(self, p: dict[str, str], app: str) -> Json:
        bid = BridgeId(p.get("bridgeId") or str(uuid.uuid4()))
        if bid in self.sw.bridges:
            raise AriErrorReply(409, "Bridge with id already exists")
        types = (p.get("type") or "mixing").split(",")
        bridge = Bridge(bid, p.get("name", ""), types[0], self.sw.clock.timestamp(), app)
        self.sw.bridges[bid] = bridge
        return bridge.to_json()

    def bridge(self, bridge_id: str) -> Bridge:
        bridge = self.sw.bridges.get(BridgeId(bridge_id))
        if bridge is None:
            raise AriErrorReply(404, "Bridge not found")
        return bridge

    def destroy_bridge(self, bridge_id: str) -> None:
        sw = self.sw
        bridge = self.bridge(bridge_id)
        had_channels = bool(bridge.channels)
        moh = any(m.kind == "moh" for m in bridge.others)
        for cid in list(reversed(bridge.channels)):
            channel = sw.channels.get(cid)
            if channel is not None:
                if moh:
                    sw.end_moh(channel)
                sw.leave_bridge(channel, reconfigure=False)
        sw.end_playbacks_of(f"bridge:{bridge.id}", "failed")
        sw.stop_recordings_of(f"bridge:{bridge.id}")
        for member in list(bridge.others):
            bridge.others.remove(member)
            sw.timeline.leave(bridge.id, member.key, sw.slot())
        del sw.bridges[bridge.id]
        if not had_channels:
            sw.hub.emit(bridge.app, "BridgeDestroyed", bridge=bridge.to_json())

    def add_to_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        bridge = self.bridge(bridge_id)
        channels = [self._channel_for_bridge(cid) for cid in channel_ids]
        for channel in channels:
            if channel.id in bridge.channels:
                continue
            if channel.bridge_id is not None:
                self._leave(channel)
            self.sw.join_channel(bridge, channel)

    def _channel_for_bridge(self, channel_id: str) -> Channel:
        channel = self.sw.channels.get(ChannelId(channel_id))
        if channel is None:
            raise AriErrorReply(400, "Channel not found")
        if not channel.in_stasis():
            raise AriErrorReply(422, "Channel not in Stasis application")
        return channel

    def _leave(self, channel: Channel) -> None:
        """Leave by the app's will: a bridge left without ARI channels loses its playback
        silently (no `PlaybackFinished`)."""
        emptied = self.sw.leave_bridge(channel)
        if emptied is not None:
            self.sw.end_playbacks_of(f"bridge:{emptied.id}", "failed", vanish=True)

    def remove_from_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        bridge = self.bridge(bridge_id)
        for cid in channel_ids:
            channel = self._channel_for_bridge(cid)
            if channel.id not in bridge.channels:
                raise AriErrorReply(422, "Channel not in this bridge")
            self._leave(channel)

    def bridge_moh(self, bridge_id: str, moh_class: str | None) -> None:
        sw = self.sw
        bridge = self.bridge(bridge_id)
        if any(m.kind == "moh" for m in bridge.others):
            return
        member = sw.new_member("moh", f"moh:{bridge.id}", "Announcer/ARI_MOH")
        sw.join_other(bridge, member)
        sw.connected_lines(bridge)
        for cid in bridge.channels:
            sw.start_moh(sw.channels[cid], moh_class or "default", heard_only=True)

    def bridge_stop_moh(self, bridge_id: str) -> None:
        sw = self.sw
        bridge = self.bridge(bridge_id)
        for member in [m for m in bridge.others if m.kind == "moh"]:
            sw.leave_other(bridge, member)
        for cid in bridge.channels:
            sw.end_moh(sw.channels[cid])
