"""Bridge membership and playback endings of the sandbox switch, as Asterisk 22 does them.

Role: `BridgeCore` adds to `SwitchState` the primitives the feature modules and the hang-up
share (`docs/asterisk-behaviour.md`, "Bridges" and "Playback"):
- joining and leaving a bridge: ARI channels (`ChannelEnteredBridge`, `ChannelLeftBridge`
  preceded by `ChannelVarset BRIDGEPEER=""`) and the switch's own members (a recording's
  `Recorder/ARI-...;2`, a playback's `Announcer/ARI-...;2`, bridge music on hold's
  `Announcer/ARI_MOH-...;2`), each logged in the media timeline;
- `BRIDGEPEER` after every change that leaves two or more members: each ARI channel gets the
  other members' names, newest first, comma separated;
- `ChannelConnectedLine` when a join makes a two-member bridge: each ARI channel's connected
  line becomes the other member's caller id (empty for a recorder or announcer), unless it is
  already that or the channel is playing a prompt to itself; the other half of a Local pair
  takes it as its caller id (`ChannelCallerId`, after its `Answer()`);
- ending a playback: `PlaybackFinished` (`done` or `failed`) at once, or vanishing with no
  event (a bridge emptied by `removeChannel`); a bridge playback's announcer then leaves.

Rules: synchronous (events leave in the order the calls are made); built on `SwitchState`.
"""

from __future__ import annotations

from ivr.sandbox.model import Bridge, BridgeId, Channel, ChannelId, Member, Playback
from ivr.sandbox.state import SwitchState
from ivr.sandbox.timeline import Samples

CALLER_PRESENTATION = {"caller_presentation": 0}
PRESENTATION_TXT = "Presentation Allowed, Not Screened"


class BridgeCore(SwitchState):
    """Bridge membership, BRIDGEPEER and connected line, playback endings."""

    # ---- membership --------------------------------------------------------------------------

    def _current_keys(self, bridge: Bridge) -> list[str]:
        """Current members' timeline keys in join order."""
        members = self.timeline.members.get(bridge.id, [])
        return [m.key for m in members if m.span.end is None]

    def _member_name(self, bridge: Bridge, key: str) -> str:
        channel = self.channels.get(ChannelId(key))
        if channel is not None:
            return channel.name
        return next((m.name for m in bridge.others if m.key == key), key)

    def set_peers(self, bridge: Bridge) -> None:
        """`ChannelVarset BRIDGEPEER` for every ARI channel of a bridge of two or more."""
        if bridge.size() < 2:
            return
        keys = self._current_keys(bridge)
        for cid in list(bridge.channels):
            channel = self.channels.get(cid)
            if channel is None:
                continue
            value = ",".join(self._member_name(bridge, k) for k in reversed(keys) if k != cid)
            channel.variables["BRIDGEPEER"] = value
            self.emit_channel(channel, "ChannelVarset", variable="BRIDGEPEER", value=value)

    def join_channel(self, bridge: Bridge, channel: Channel) -> None:
        bridge.channels.append(channel.id)
        channel.bridge_id = bridge.id
        self.timeline.join(bridge.id, channel.id, "channel", self.slot())
        self.emit_channel(channel, "ChannelEnteredBridge", bridge=bridge.to_json())
        self.set_peers(bridge)
        self.connected_lines(bridge, first=channel)

    def join_other(self, bridge: Bridge, member: Member, clip: Samples | None = None) -> None:
        """A recorder or announcer joins (`clip`: an announcer's 8 kHz samples, if any);
        the caller sends its Started event, then calls `connected_lines`."""
        bridge.others.append(member)
        self.timeline.join(bridge.id, member.key, member.kind, self.slot(), clip)
        self.set_peers(bridge)

    def leave_other(self, bridge: Bridge, member: Member, at_s: float | None = None) -> None:
        if member not in bridge.others:
            return
        bridge.others.remove(member)
        self.timeline.leave(bridge.id, member.key, self.slot(at_s))
        self.set_peers(bridge)

    def new_member(self, kind: str, key: str, tech: str) -> Member:
        """A recorder (`Recorder/ARI`) or announcer (`Announcer/ARI`, `Announcer/ARI_MOH`)."""
        return Member(key, f"{tech}-{next(self.seq):08x};2", self.new_id(), kind)

    def leave_bridge(self, channel: Channel, *, reconfigure: bool = True) -> Bridge | None:
        """The channel leaves its bridge; returns the bridge if no ARI channel is left in it.
        `reconfigure=False`: the bridge is being dissolved (no BRIDGEPEER for the rest)."""
        bridge = self.bridges.get(channel.bridge_id) if channel.bridge_id else None
        channel.bridge_id = None
        if bridge is None or channel.id not in bridge.channels:
            return None
        channel.variables.pop("BRIDGEPEER", None)
        self.emit_channel(channel, "ChannelVarset", variable="BRIDGEPEER", value="")
        bridge.channels.remove(channel.id)
        self.timeline.leave(bridge.id, channel.id, self.slot())
        self.emit_channel(channel, "ChannelLeftBridge", bridge=bridge.to_json(announcers=True))
        if reconfigure:
            self.set_peers(bridge)
        return None if bridge.channels else bridge

    # ---- connected line ------------------------------------------------------------------------

    def connected_lines(self, bridge: Bridge, first: Channel | None = None) -> None:
        """A join made a two-member bridge: exchange connected lines (module docstring)."""
        if bridge.size() != 2:
            return
        keys = self._current_keys(bridge)
        channels = [self.channels[c] for c in bridge.channels if c in self.channels]
        channels.sort(key=lambda c: c is not first)
        for channel in channels:
            other_key = next((k for k in keys if k != channel.id), None)
            other = self.channels.get(ChannelId(other_key or ""))
            line = (other.caller_name, other.caller_number) if other is not None else ("", "")
            if self.busy(channel) or (channel.connected_name, channel.connected_number) == line:
                continue
            channel.connected_name, channel.connected_number = line
            self.emit_channel(channel, "ChannelConnectedLine")
            self._caller_id_to_other_half(channel)

    def _caller_id_to_other_half(self, channel: Channel) -> None:
        half = self.channels.get(channel.peer_id) if channel.peer_id else None
        if half is None or half.hung_up:
            return
        half.caller_name, half.caller_number = channel.connected_name, channel.connected_number
        if half.answer_done_s > self.clock.now_s():
            half.callerid_pending = True  # still in Answer(): told after it
        else:
            self.caller_id_event(half)

    def caller_id_event(self, channel: Channel) -> None:
        channel.callerid_pending = False
        self.emit_channel(
            channel,
            "ChannelCallerId",
            **CALLER_PRESENTATION,
            caller_presentation_txt=PRESENTATION_TXT,
        )

    def busy(self, channel: Channel) -> bool:
        """Is a prompt playing to the channel itself (it feeds nothing into its bridge)?"""
        target = f"channel:{channel.id}"
        return any(
            p.target_uri == target and p.state == "playing" and not p.finished
            for p in self.playbacks.values()
        )

    # ---- playback endings ----------------------------------------------------------------------

    def end_playback(
        self,
        playback: Playback,
        state: str,
        at_s: float | None = None,
        *,
        outcome: str | None = None,
        vanish: bool = False,
    ) -> None:
        """End a playback: `PlaybackFinished` with `state` (none if `vanish` or never
        started); the caller's transcript hears `outcome` (default: `state`)."""
        if playback.finished:
            return
        playback.finished = True
        playback.stop.set()
        self.playbacks.pop(playback.id, None)
        if playback.started_s is None:
            return  # queued, never started: no event
        playback.state = state
        kind, _, target = playback.target_uri.partition(":")
        if kind == "channel":
            self.timeline.close_all(self.timeline.played, target, self.slot(at_s))
        if not vanish:
            self.hub.emit(playback.app, "PlaybackFinished", at_s, playback=playback.to_json())
        self.notify_heard(playback, outcome or state, at_s)
        bridge = self.bridges.get(BridgeId(target)) if kind == "bridge" else None
        if playback.announcer is not None and bridge is not None:
            self.leave_other(bridge, playback.announcer, at_s)
        playback.announcer = None

    def end_playbacks_of(self, target_uri: str, state: str, *, vanish: bool = False) -> None:
        """End every playback of a channel or bridge (queued ones vanish)."""
        for playback in [p for p in self.playbacks.values() if p.target_uri == target_uri]:
            self.end_playback(playback, state, outcome="stopped", vanish=vanish)

    def notify_heard(self, playback: Playback, what: str, at_s: float | None) -> None:
        """Tell scenario calls a prompt started (`what` = "start": the channel, or the bridge's
        channels) or ended (its outcome; told to those told it started)."""
        at_s = self.clock.now_s() if at_s is None else at_s
        if what == "start":
            kind, _, target_id = playback.target_uri.partition(":")
            bridge = self.bridges.get(BridgeId(target_id)) if kind == "bridge" else None
            playback.listeners = (
                [target_id] if kind == "channel" else list(bridge.channels if bridge else [])
            )
        for cid in playback.listeners:
            call = self.observer_of(cid)
            if call is None:
                continue
            if what == "start":
                call.heard_start(playback.media_uri, at_s)
            else:
                call.heard_end(playback.media_uri, at_s, what)

    def stop_recordings_of(self, target_uri: str) -> None:
        for rec in list(self.live_recordings.values()):
            if rec.target_uri == target_uri:
                rec.done.set()
