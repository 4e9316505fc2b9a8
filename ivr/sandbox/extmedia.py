"""External media and audio routing of the sandbox switch (chan_websocket, RTP).

Role: `POST /channels/externalMedia` channels and where caller audio goes. chan_websocket in
server mode: the app connects to `/media/{connection_id}` (subprotocol `media`), gets
`MEDIA_START` first, then 20 ms frames (slin16 640 bytes little-endian, ulaw 160 bytes), 50 per
second; `StasisStart` comes only once the socket connects; `HANGUP`, `MARK_MEDIA`,
`GET_STATUS` commands are answered. RTP: ulaw payload type 0, slin16 type 118 big-endian.
Audio a channel's far end produces is logged in the media timeline (recordings are replayed
from it) and goes live to the external media channels bridged with the channel (unless a prompt
plays to the channel: it then feeds nothing into its bridge) or with its snoops (`spy=in|both`).
Only speech frames travel live; steady silence and prompts reach recordings through the
timeline. See `docs/asterisk-behaviour.md`, "Media for speech recognition".

Rules: built on `SwitchCore` (one loop, no locks); frames carry slot numbers (switch time /
20 ms) so bursts of a late event loop never reorder or merge a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

from aiohttp import web

from ivr.sandbox import audio
from ivr.sandbox.config import AriErrorReply
from ivr.sandbox.events import Json
from ivr.sandbox.hangup import SwitchCore
from ivr.sandbox.model import Channel, ChannelId, MediaLink


class MediaRouter:
    """Media channels and the routing of audio frames."""

    def __init__(self, sw: SwitchCore) -> None:
        self.sw = sw

    def external_media(self, p: dict[str, str]) -> Json:
        transport = p.get("transport", "udp")
        fmt = p["format"]
        if fmt not in ("slin16", "ulaw", "slin"):
            raise AriErrorReply(400, f"Unsupported format '{fmt}' (sandbox: slin16, slin, ulaw)")
        if transport == "websocket":
            if p.get("connection_type", "client") != "server":
                raise AriErrorReply(400, "The sandbox switch supports connection_type=server only")
            return self._ws_media(p, fmt)
        host = p.get("external_host", "")
        if ":" not in host:
            raise AriErrorReply(
                400, "external_host must be <host>:<port> for all transports other than websocket"
            )
        return self._rtp_media(p, fmt, host)

    def _ws_media(self, p: dict[str, str], fmt: str) -> Json:
        conn_id = str(uuid.uuid4())
        frame_size = {"slin16": 640, "slin": 320, "ulaw": 160}[fmt]
        seq = next(self.sw.seq)
        channel = self._media_channel(p, f"WebSocket/INCOMING/0x{seq:012x}", "websocket", fmt)
        channel.channelvars = {
            "MEDIA_WEBSOCKET_CONNECTION_ID": conn_id,
            "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE": str(frame_size),
        }
        self.sw.media_links[conn_id] = self.sw.link_of[channel.id] = MediaLink(channel.id, fmt)
        self.sw.spawn_for(channel, self._media_timeout(channel, conn_id))
        return channel.to_json(with_vars=True)

    def _media_channel(self, p: dict[str, str], name: str, kind: str, fmt: str) -> Channel:
        channel = self.sw.new_channel(
            p.get("channelId"), name, "Down", app_name="AppDial2", app_data="(Outgoing Line)"
        )
        channel.kind, channel.originated = kind, True
        channel.app = p["app"]
        return channel

    async def _media_timeout(self, channel: Channel, conn_id: str) -> None:
        link = self.sw.media_links[conn_id]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(
                self.sw.clock.wall_s(self.sw.config.media_connect_timeout_s)
            ):
                await link.connected.wait()
                return
        self.sw.destroy_channel(channel, 19)

    def _media_answered(self, channel: Channel) -> None:
        dialstring = channel.name.partition("/")[2]
        self.sw.emit_dial(channel, "", dialstring)
        channel.state = "Up"
        self.sw.emit_channel(channel, "ChannelStateChange")
        self.sw.emit_dial(channel, "ANSWER", dialstring)
        self.sw.emit_channel(channel, "ChannelVarset", variable="STASISSTATUS", value="")
        self.sw.stasis_start(channel, channel.app or "", [])

    def media_start_message(self, conn_id: str) -> Json:
        link = self.sw.media_links[conn_id]
        channel = self.sw.channels[link.channel_id]
        vars_ = dict(channel.channelvars or {})
        return {
            "event": "MEDIA_START",
            "connection_id": conn_id,
            "channel": channel.name,
            "channel_id": channel.id,
            "format": link.fmt,
            "optimal_frame_size": int(vars_.get("MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE", "0")),
            "ptime": 20,
            "channel_variables": vars_,
        }

    def media_connected(self, conn_id: str, ws: web.WebSocketResponse) -> MediaLink:
        link = self.sw.media_links.get(conn_id)
        if link is None or link.channel_id not in self.sw.channels or link.connected.is_set():
            raise AriErrorReply(404, "Unknown media connection")
        link.ws = ws
        link.outbox.put_nowait(json.dumps(self.media_start_message(conn_id)))  # always first
        self.sw.spawn(self.writer(link), name=f"media-{link.channel_id}")
        link.connected.set()
        self._media_answered(self.sw.channels[link.channel_id])
        return link

    def media_command(self, link: MediaLink, command: Json) -> Json | None:
        """A text command from the media websocket; returns a reply message, if any."""
        channel = self.sw.channels.get(link.channel_id)
        name = command.get("command")
        if name == "HANGUP" and channel is not None:
            self.sw.hangup_channel(channel, cause=16, soft=False, by="app")
        elif name == "MARK_MEDIA":
            return {
                "event": "MEDIA_MARK_PROCESSED",
                "channel_id": link.channel_id,
                "correlation_id": command.get("correlation_id", ""),
            }
        elif name == "GET_STATUS":
            return {
                "event": "STATUS",
                "channel_id": link.channel_id,
                "queue_length": 0,
                "xon_level": 800,
                "xoff_level": 900,
                "queue_full": False,
                "bulk_media": False,
                "media_paused": False,
            }
        return None

    def media_closed(self, link: MediaLink) -> None:
        link.outbox.put_nowait(None)
        channel = self.sw.channels.get(link.channel_id)
        if channel is not None:
            self.sw.hangup_channel(channel, cause=16, soft=False, by="app")

    def _rtp_media(self, p: dict[str, str], fmt: str, host: str) -> Json:
        seq = next(self.sw.seq)
        channel = self._media_channel(p, f"UnicastRTP/{host}-0x{seq:012x}", "rtp", fmt)
        remote_host, _, remote_port = host.rpartition(":")
        link = MediaLink(channel.id, fmt)
        self.sw.media_links[f"rtp-{channel.id}"] = self.sw.link_of[channel.id] = link
        channel.channelvars = {
            "UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1",
            "UNICASTRTP_LOCAL_PORT": "0",
        }
        body = channel.to_json(with_vars=True)
        self.sw.spawn_for(channel, self._rtp_open(channel, link, remote_host, int(remote_port)))
        return body

    async def _rtp_open(self, channel: Channel, link: MediaLink, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0), remote_addr=(host, port)
        )
        link.rtp = transport
        local_port = transport.get_extra_info("sockname")[1]
        if channel.channelvars is not None:
            channel.channelvars["UNICASTRTP_LOCAL_PORT"] = str(local_port)
        link.connected.set()
        self._media_answered(channel)

    # ---- audio routing -----------------------------------------------------------------------

    async def stream(
        self, channel: Channel, frames: list[audio.AudioFrame], start_s: float | None = None
    ) -> None:
        """`channel`'s far end says `frames`, 50 per second from `start_s` (default now): all
        of it goes into the media timeline at once (its slots; cut short if the channel ends),
        and each frame goes live to the listening media channels in real time (switch time)."""
        start = self.sw.clock.now_s() if start_s is None else start_s
        first_slot = round(start / audio.FRAME_S)
        for i, frame in enumerate(frames):
            self.sw.timeline.add_voice(channel.id, first_slot + i, frame.pcm8k)
        for i, frame in enumerate(frames):
            if channel.hung_up:
                return
            self.forward_audio(channel, frame)
            await self.sw.clock.sleep(start + (i + 1) * audio.FRAME_S - self.sw.clock.now_s())

    def forward_audio(self, source: Channel, frame: audio.AudioFrame) -> None:
        """A frame `source`'s far end produced, live to the media channels bridged with it
        (unless a prompt plays to it) or with its snoops (`spy=in|both`)."""
        snoops = (self.sw.channels.get(i) for i in self.sw.snoops_of.get(source.id, ()))
        listeners = [c for c in snoops if c is not None and c.spy in ("in", "both")]
        if not self.sw.busy(source):
            listeners.insert(0, source)
        for node in listeners:
            bridge = self.sw.bridges.get(node.bridge_id) if node.bridge_id else None
            if bridge is None:
                continue
            for mate_id in bridge.channels:
                if mate_id != node.id:
                    self._hear(mate_id, frame)

    def _hear(self, channel_id: ChannelId, frame: audio.AudioFrame) -> None:
        link = self.sw.link_of.get(channel_id)
        if link is None or not link.connected.is_set():
            return
        if link.ws is not None and not link.ws.closed:
            link.outbox.put_nowait(audio.encode_frame(frame, link.fmt))
        elif link.rtp is not None:
            link.rtp.sendto(self._rtp_packet(link, frame))

    @staticmethod
    def _rtp_packet(link: MediaLink, frame: audio.AudioFrame) -> bytes:
        payload_type = 0 if link.fmt == "ulaw" else 118
        samples = 160 if link.fmt == "ulaw" else 320
        link.rtp_seq = (link.rtp_seq + 1) & 0xFFFF
        header = bytes([0x80, payload_type]) + link.rtp_seq.to_bytes(2, "big")
        header += ((link.rtp_seq * samples) & 0xFFFFFFFF).to_bytes(4, "big")
        header += (0x5A4E_0001).to_bytes(4, "big")
        return header + audio.encode_frame(frame, link.fmt, big_endian=True)

    def media_dtmf(self, channel: Channel, digit: str) -> None:
        bridge = self.sw.bridges.get(channel.bridge_id) if channel.bridge_id else None
        for mate_id in bridge.channels if bridge else []:
            link = self.sw.link_of.get(mate_id)
            if link is not None and link.ws is not None and not link.ws.closed:
                msg = {"event": "DTMF_END", "channel_id": mate_id, "digit": digit}
                link.outbox.put_nowait(json.dumps(msg))

    async def writer(self, link: MediaLink) -> None:
        """The media socket's only writer: frames and messages leave in order."""
        assert link.ws is not None
        while (item := await link.outbox.get()) is not None:
            with contextlib.suppress(ConnectionError, RuntimeError):
                if isinstance(item, bytes):
                    await link.ws.send_bytes(item)
                else:
                    await link.ws.send_str(item)
