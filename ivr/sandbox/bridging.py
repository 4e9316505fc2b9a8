"""Bridges of the sandbox switch: create, add/remove channels, destroy.

Role: `mixing` bridges created over REST (no `BridgeCreated`, as on Asterisk);
`ChannelEnteredBridge`/`ChannelLeftBridge` with `ChannelVarset BRIDGEPEER` when two parties
meet or part; `BridgeDestroyed` on DELETE; music on hold for every member
(`docs/asterisk-behaviour.md`, "Bridges").

Rules: built on `SwitchState`; errors are `AriErrorReply` with Asterisk's messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.model import Bridge, BridgeId, Channel, ChannelId
from ivr.sandbox.state import SwitchState


class Bridging:
    """Bridge operations."""

    def __init__(self, sw: SwitchState) -> None:
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
        bridge = self.bridge(bridge_id)
        for cid in list(bridge.channels):
            self.sw.leave_bridge(self.sw.channels[cid])
        for rec in list(self.sw.live_recordings.values()):
            if rec.target_uri == f"bridge:{bridge.id}":
                rec.done.set()
        del self.sw.bridges[bridge.id]
        self.sw.hub.emit(bridge.app, "BridgeDestroyed", bridge=bridge.to_json())

    def add_to_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        bridge = self.bridge(bridge_id)
        channels = [self._channel_for_bridge(cid) for cid in channel_ids]
        for channel in channels:
            if channel.bridge_id is not None and channel.bridge_id != bridge.id:
                self.sw.leave_bridge(channel)
            if channel.id in bridge.channels:
                continue
            bridge.channels.append(channel.id)
            channel.bridge_id = bridge.id
            self.sw.emit_channel(channel, "ChannelEnteredBridge", bridge=bridge.to_json())
        self._set_bridge_peers(bridge)

    def _channel_for_bridge(self, channel_id: str) -> Channel:
        channel = self.sw.channels.get(ChannelId(channel_id))
        if channel is None:
            raise AriErrorReply(400, "Channel not found")
        if not channel.in_stasis():
            raise AriErrorReply(422, "Channel not in Stasis application")
        return channel

    def _set_bridge_peers(self, bridge: Bridge) -> None:
        if len(bridge.channels) != 2:
            return
        a, b = (self.sw.channels[c] for c in bridge.channels)
        self.sw.emit_channel(a, "ChannelVarset", variable="BRIDGEPEER", value=b.name)
        self.sw.emit_channel(b, "ChannelVarset", variable="BRIDGEPEER", value=a.name)

    def remove_from_bridge(self, bridge_id: str, channel_ids: Iterable[str]) -> None:
        bridge = self.bridge(bridge_id)
        for cid in channel_ids:
            channel = self._channel_for_bridge(cid)
            if channel.id not in bridge.channels:
                raise AriErrorReply(422, "Channel not in this bridge")
            self.sw.leave_bridge(channel)

    def bridge_moh(self, bridge_id: str, moh_class: str | None) -> None:
        bridge = self.bridge(bridge_id)
        for cid in bridge.channels:
            self.sw.start_moh(self.sw.channels[cid], moh_class or "default")

    def bridge_stop_moh(self, bridge_id: str) -> None:
        for cid in self.bridge(bridge_id).channels:
            self.sw.end_moh(self.sw.channels[cid])
