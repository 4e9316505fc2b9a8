"""How calls end on the sandbox switch: the hang-up sequences Asterisk 22.10.1 sends.

Role: `SwitchCore` adds to `BridgeCore` the end of a channel (`docs/asterisk-behaviour.md`,
"Calls and events", "Playback", "Recording"):
- `ChannelHangupRequest` (cause 32 with `soft: true` for a REST `DELETE`, else the cause);
- a prompt still playing to the channel: `PlaybackFinished state: failed` right then (queued
  ones vanish);
- `ChannelVarset BRIDGEPEER=""` and `ChannelLeftBridge` if bridged; `StasisEnd`; then, if no
  ARI channel is left in that bridge, its playback ends `failed`;
- a channel the app originated: `ChannelVarset STASISSTATUS=SUCCESS` and `ChannelDestroyed`
  (the real cause); the other half of a Local pair (`;2`) sends its own
  `ChannelHangupRequest`/`ChannelDestroyed` (before, when its dialplan hung up; after, when the
  app hung up the `;1` half); a dialplan call gets no `ChannelDestroyed`;
- the caller's snoops get only `StasisEnd`, about 12 ms after the caller's.

A phone whose behaviour has `talk_s` (a person) hangs up (cause 16) that long after it first
joins a bridge.

Rules: the sequence is synchronous except the snoops' delayed end; a channel ends once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ivr.sandbox.members import BridgeCore
from ivr.sandbox.model import CAUSE_TEXT, Bridge, Channel

CAUSE_REST_HANGUP = 32  # the flag ChannelHangupRequest shows for a REST DELETE
SNOOP_END_DELAY_S = 0.012


class SwitchCore(BridgeCore):
    """Channel endings on top of bridge membership."""

    def join_channel(self, bridge: Bridge, channel: Channel) -> None:
        super().join_channel(bridge, channel)
        if channel.talk_s is not None:  # a person on the phone: talks, then hangs up
            due_s, channel.talk_s = self.clock.now_s() + channel.talk_s, None
            self.spawn_for(channel, self._hang_up_after_talk(channel, due_s))

    async def _hang_up_after_talk(self, channel: Channel, due_s: float) -> None:
        await self.clock.sleep(due_s - self.clock.now_s())
        with self.scripted(due_s):
            self.hangup_channel(channel, cause=16, soft=False, by="caller")

    def remove(self, channel: Channel) -> None:
        channel.hung_up = True
        self.channels.pop(channel.id, None)
        self.timeline.died(channel.id, self.slot())
        self.timeline.forget_oldest(busy=bool(self.live_recordings))
        for task in list(channel.tasks):
            if task is not asyncio.current_task():
                task.cancel()

    def destroy_channel(self, channel: Channel, cause: int) -> None:
        self.emit_channel(channel, "ChannelDestroyed", cause=cause, cause_txt=cause_txt(cause))
        self.remove(channel)

    def other_half(self, channel: Channel) -> Channel | None:
        """The live `;2` half of a Local channel the app originated."""
        half = self.channels.get(channel.peer_id) if channel.peer_id else None
        return half if half is not None and half.half == 2 and not half.hung_up else None

    def hangup_channel(self, channel: Channel, *, cause: int, soft: bool, by: str) -> None:
        """End `channel`: `soft` for a REST DELETE, else the far end hung up with `cause`."""
        if channel.hung_up:
            return
        was_in_stasis = channel.in_stasis()
        half = self.other_half(channel)
        if half is not None and not soft:  # the ;2 half's dialplan hangs up first
            half.priority += 1
            self.dialplan_step(half, "Hangup", "")
            self.emit_channel(half, "ChannelHangupRequest", cause=cause, soft=True)
        if channel.state == "Down" and channel.originated and not was_in_stasis:
            self.emit_dial(channel, "CANCEL", channel.exten)
        elif was_in_stasis:
            request: dict[str, Any] = {"cause": CAUSE_REST_HANGUP, "soft": True} if soft else {}
            self.emit_channel(channel, "ChannelHangupRequest", **(request or {"cause": cause}))
        if half is not None and not soft:
            self.destroy_channel(half, cause)
        channel.hung_up = True
        emptied = self.leave_stasis_media(channel, "failed")
        if was_in_stasis:
            channel.stasis = False
            self.emit_channel(channel, "StasisEnd")
        if emptied is not None:
            self.end_playbacks_of(f"bridge:{emptied.id}", "failed")
        if channel.originated:
            if was_in_stasis:
                self.emit_channel(
                    channel, "ChannelVarset", variable="STASISSTATUS", value="SUCCESS"
                )
            if half is not None and soft:  # the app hung up the ;1 half: ;2 follows
                self.emit_channel(half, "ChannelHangupRequest", cause=cause)
                self.emit_channel(
                    channel, "ChannelDestroyed", cause=cause, cause_txt=cause_txt(cause)
                )
                self.emit_channel(half, "ChannelHangupRequest", cause=16, soft=True)
                self.destroy_channel(half, cause)
            else:
                self.emit_channel(
                    channel, "ChannelDestroyed", cause=cause, cause_txt=cause_txt(cause)
                )
        self.remove(channel)
        self.after_hangup(channel, cause, by)

    def leave_stasis_media(self, channel: Channel, playback_state: str) -> Bridge | None:
        """Stop what plays to or records the channel, end its MOH, leave its bridge; the
        bridge if it has no ARI channel left (its playback ends after `StasisEnd`)."""
        self.end_playbacks_of(f"channel:{channel.id}", playback_state)
        self.stop_recordings_of(f"channel:{channel.id}")
        self.end_moh(channel)
        return self.leave_bridge(channel) if channel.bridge_id is not None else None

    def dialplan_step(self, channel: Channel, app: str, data: str) -> None:
        channel.app_name, channel.app_data = app, data
        self.emit_channel(channel, "ChannelDialplan", dialplan_app=app, dialplan_app_data=data)

    def after_hangup(self, channel: Channel, cause: int, by: str) -> None:
        for snoop_id in list(self.snoops_of.pop(channel.id, ())):
            snoop = self.channels.get(snoop_id)
            if snoop is not None:
                self.spawn(self._end_snoop(snoop), name=f"snoop-end-{snoop_id}")
        if channel.spied_id is not None:
            self.snoops_of.get(channel.spied_id, set()).discard(channel.id)
        link = self.link_of.get(channel.id)
        if link is not None and link.ws is not None and not link.ws.closed:
            self.spawn(link.ws.close())
        peer = self.channels.get(channel.peer_id) if channel.peer_id else None
        if peer is not None and peer.half != 2:
            self.remove(peer)  # the ;1 half of a dialplan call: no events
        observer = self.observer_of(channel.id)
        if observer is not None:
            observer.end(by, cause)

    async def _end_snoop(self, snoop: Channel) -> None:
        """A snoop whose channel hung up: only `StasisEnd`, about 12 ms later."""
        await self.clock.sleep(SNOOP_END_DELAY_S)
        if snoop.hung_up:
            return
        snoop.hung_up = True
        emptied = self.leave_stasis_media(snoop, "failed")
        snoop.stasis = False
        self.emit_channel(snoop, "StasisEnd")
        if emptied is not None:
            self.end_playbacks_of(f"bridge:{emptied.id}", "failed")
        self.remove(snoop)
        self.after_hangup(snoop, 16, "switch")

    def continue_in_dialplan(self, channel: Channel) -> None:
        """`POST /channels/{id}/continue`: the channel leaves the app (`StasisEnd`); our
        dialplan has nothing after `Stasis()`, so the call ends there with no more events."""
        emptied = self.leave_stasis_media(channel, "failed")
        channel.stasis = False
        self.emit_channel(channel, "StasisEnd")
        if emptied is not None:
            self.end_playbacks_of(f"bridge:{emptied.id}", "failed")
        self.remove(channel)
        self.after_hangup(channel, 16, "dialplan")


def cause_txt(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")
