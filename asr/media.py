"""Media intake: caller audio from Asterisk into a recognizer, as 16-bit LE PCM at its rate.

Two transports (see `docs/asterisk-behaviour.md`, "Media for speech recognition"):
- chan_websocket, server mode (Asterisk 22+, preferred): we are the websocket CLIENT of
  `ws://HOST:8088/media/<connection_id>`, subprotocol `media`. The first message is the JSON
  `MEDIA_START` (format, optimal_frame_size, ptime); audio then comes as binary frames: slin16
  640 bytes little-endian @16 kHz or ulaw 160 bytes @8 kHz, 50/s; text messages `DTMF_END`,
  `STATUS`, `MEDIA_MARK_PROCESSED` may interleave; we send `{"command":"HANGUP"}` to end.
- RTP over UDP: ulaw, payload type 0, 160-byte payloads (RFC 3550 header, 12 bytes + CSRCs +
  extension). slin16 over RTP is one-way in Asterisk, so we take ulaw only.
Rules: ulaw is decoded (G.711 table) and everything resampled to the recognizer's rate with a
streaming soxr resampler; every network wait has a deadline; audio is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
import soxr

from asr.errors import MediaProtocolError
from asr.recognizer import Recognizer, RecognizerEvent

log = logging.getLogger(__name__)

FORMAT_RATES_HZ = {"slin16": 16000, "slin": 8000, "ulaw": 8000}
ULAW_PAYLOAD_TYPE = 0


def _ulaw_table() -> np.ndarray[Any, np.dtype[np.int16]]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


ULAW_TO_PCM16 = _ulaw_table()


_ULAW_ORDER = np.argsort(ULAW_TO_PCM16.astype(np.int32), kind="stable")
_ULAW_SORTED = ULAW_TO_PCM16.astype(np.int32)[_ULAW_ORDER]


def ulaw_to_pcm16(data: bytes) -> bytes:
    """G.711 µ-law bytes -> 16-bit little-endian PCM (same sample rate)."""
    return ULAW_TO_PCM16[np.frombuffer(data, dtype=np.uint8)].astype("<i2").tobytes()


def pcm16_to_ulaw(pcm16: bytes) -> bytes:
    """16-bit LE PCM -> G.711 µ-law, each sample to the nearest code (for audio sent back)."""
    samples = np.frombuffer(pcm16, dtype="<i2").astype(np.int32)
    pos = np.clip(np.searchsorted(_ULAW_SORTED, samples), 1, 255)
    left, right = _ULAW_SORTED[pos - 1], _ULAW_SORTED[pos]
    nearest = np.where(samples - left <= right - samples, pos - 1, pos)
    return _ULAW_ORDER[nearest].astype(np.uint8).tobytes()


class Resampler:
    """Streaming 16-bit mono resampler (soxr); identity when the rates match."""

    def __init__(self, from_hz: int, to_hz: int) -> None:
        self.from_hz, self.to_hz = from_hz, to_hz
        self._stream = None if from_hz == to_hz else soxr.ResampleStream(from_hz, to_hz, 1, "int16")

    def process(self, pcm16: bytes, *, last: bool = False) -> bytes:
        if self._stream is None:
            return pcm16
        samples = np.frombuffer(pcm16, dtype="<i2")
        out = self._stream.resample_chunk(samples, last=last)
        return np.asarray(out, dtype="<i2").tobytes()


@dataclass(frozen=True, slots=True)
class MediaStarted:
    connection_id: str
    channel_id: str
    format: str
    optimal_frame_size: int
    ptime_ms: int


@dataclass(frozen=True, slots=True)
class AudioReceived:
    """Caller audio, already decoded and resampled to the recognizer's rate."""

    pcm16: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class DtmfEnded:
    digit: str


@dataclass(frozen=True, slots=True)
class MediaStatus:
    queue_length: int
    queue_full: bool
    media_paused: bool


@dataclass(frozen=True, slots=True)
class MarkProcessed:
    correlation_id: str


MediaEvent = MediaStarted | AudioReceived | DtmfEnded | MediaStatus | MarkProcessed


def parse_media_start(data: dict[str, Any]) -> MediaStarted:
    fmt = str(data.get("format", ""))
    if data.get("event") != "MEDIA_START" or fmt not in FORMAT_RATES_HZ:
        raise MediaProtocolError(
            f"media websocket: expected MEDIA_START with format in {sorted(FORMAT_RATES_HZ)}, "
            f"got event={data.get('event')!r} format={fmt!r}"
        )
    return MediaStarted(
        connection_id=str(data.get("connection_id", "")),
        channel_id=str(data.get("channel_id", "")),
        format=fmt,
        optimal_frame_size=int(data.get("optimal_frame_size", 0)),
        ptime_ms=int(data.get("ptime", 20)),
    )


def parse_control(data: dict[str, Any]) -> MediaEvent | None:
    """A text message after MEDIA_START -> event (None for kinds we do not use)."""
    match data.get("event"):
        case "DTMF_END":
            return DtmfEnded(str(data.get("digit", "")))
        case "STATUS":
            return MediaStatus(
                int(data.get("queue_length", 0)),
                bool(data.get("queue_full", False)),
                bool(data.get("media_paused", False)),
            )
        case "MEDIA_MARK_PROCESSED":
            return MarkProcessed(str(data.get("correlation_id", "")))
        case _:
            return None


class AudioDecoder:
    """One stream's frames -> PCM16 at `target_hz` (µ-law decode, then resample)."""

    def __init__(self, fmt: str, target_hz: int) -> None:
        self.ulaw = fmt == "ulaw"
        self.resampler = Resampler(FORMAT_RATES_HZ[fmt], target_hz)

    def decode(self, payload: bytes) -> bytes:
        pcm16 = ulaw_to_pcm16(payload) if self.ulaw else payload[: len(payload) // 2 * 2]
        return self.resampler.process(pcm16)

    def flush(self) -> bytes:
        return self.resampler.process(b"", last=True)


def media_url(base_url: str, connection_id: str) -> str:
    """`ws://host:8088` + connection id -> the chan_websocket media URL."""
    return f"{base_url.rstrip('/')}/media/{connection_id}"


class ChanWebsocketMedia:
    """Client side of one chan_websocket media connection (Asterisk in server mode)."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        started: MediaStarted,
        target_hz: int,
        receive_timeout_s: float,
    ) -> None:
        self._ws = ws
        self._receive_timeout_s = receive_timeout_s
        self.started = started
        self._decoder = AudioDecoder(started.format, target_hz)

    @classmethod
    async def connect(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        *,
        target_hz: int = 16000,
        receive_timeout_s: float = 10.0,
        connect_timeout_s: float = 5.0,
    ) -> ChanWebsocketMedia:
        """Connect, read MEDIA_START; raises `MediaProtocolError` on anything else."""
        try:
            async with asyncio.timeout(connect_timeout_s):
                ws = await session.ws_connect(
                    url,
                    protocols=("media",),
                    timeout=aiohttp.ClientWSTimeout(ws_receive=receive_timeout_s, ws_close=2.0),
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MediaProtocolError(f"media websocket {url}: cannot connect ({exc!r})") from None
        try:
            try:
                msg = await ws.receive()
            except TimeoutError:
                raise MediaProtocolError(
                    f"media websocket {url}: no MEDIA_START within {receive_timeout_s} s"
                ) from None
            if msg.type is not aiohttp.WSMsgType.TEXT:
                raise MediaProtocolError(f"media websocket {url}: first message is {msg.type.name}")
            started = parse_media_start(json.loads(msg.data))
        except BaseException:
            await ws.close()
            raise
        log.info("media started channel=%s format=%s", started.channel_id, started.format)
        return cls(ws, started, target_hz, receive_timeout_s)

    async def events(self) -> AsyncIterator[MediaEvent]:
        """Audio and control events until the socket closes (a receive timeout raises)."""
        while True:
            try:
                msg = await self._ws.receive()
            except TimeoutError:
                raise MediaProtocolError(
                    f"no media on channel {self.started.channel_id} for {self._receive_timeout_s} s"
                ) from None
            if msg.type is aiohttp.WSMsgType.BINARY:
                yield AudioReceived(self._decoder.decode(msg.data))
            elif msg.type is aiohttp.WSMsgType.TEXT:
                event = parse_control(json.loads(msg.data))
                if event is not None:
                    yield event
            elif msg.type is aiohttp.WSMsgType.ERROR:
                raise MediaProtocolError(f"media websocket error: {self._ws.exception()}")
            else:  # CLOSE / CLOSING / CLOSED
                tail = self._decoder.flush()
                if tail:
                    yield AudioReceived(tail)
                return

    async def hangup(self) -> None:
        """Ask Asterisk to end the media channel."""
        if not self._ws.closed:
            await self._ws.send_str(json.dumps({"command": "HANGUP"}))

    async def close(self) -> None:
        await self._ws.close()


ListenEvent = RecognizerEvent | DtmfEnded


async def listen(
    media: AsyncIterator[MediaEvent], recognizer: Recognizer
) -> AsyncIterator[ListenEvent]:
    """Feed a media stream's audio to `recognizer`; yield its events and the caller's digits.

    Digits and speech are accepted together: the consumer takes whichever it wants first and
    stops iterating. At end of stream the recognizer is flushed (`finish()`).
    """
    async for event in media:
        if isinstance(event, AudioReceived):
            for heard in await recognizer.feed(event.pcm16):
                yield heard
        elif isinstance(event, DtmfEnded):
            yield event
    for heard in await recognizer.finish():
        yield heard


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = field(repr=False)


def parse_rtp(packet: bytes) -> RtpPacket:
    """RFC 3550 fixed header (+ CSRC list, header extension, padding) -> payload."""
    if len(packet) < 12 or packet[0] >> 6 != 2:
        raise MediaProtocolError(f"not an RTP v2 packet ({len(packet)} bytes)")
    first, second, sequence, timestamp, ssrc = struct.unpack("!BBHII", packet[:12])
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(packet) < offset + 4:
            raise MediaProtocolError("RTP header extension truncated")
        (words,) = struct.unpack("!H", packet[offset + 2 : offset + 4])
        offset += 4 + 4 * words
    end = len(packet) - (packet[-1] if first & 0x20 else 0)
    if offset > end:
        raise MediaProtocolError("RTP header longer than the packet")
    return RtpPacket(second & 0x7F, sequence, timestamp, ssrc, packet[offset:end])


class RtpUlawReceiver(asyncio.DatagramProtocol):
    """UDP endpoint for an externalMedia RTP/ulaw stream (payload type 0), decoded to PCM16.

    Packets of another payload type are ignored; a full queue drops the newest audio (the
    recognizer is behind) with one warning. Packets are taken in arrival order.
    """

    def __init__(self, *, target_hz: int = 16000, max_queued: int = 500) -> None:
        self._decoder = AudioDecoder("ulaw", target_hz)
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(max_queued)
        self.remote_addr: tuple[str, int] | None = None
        self.ignored_packets = 0
        self.dropped_packets = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            packet = parse_rtp(data)
        except MediaProtocolError:
            self.ignored_packets += 1
            return
        if packet.payload_type != ULAW_PAYLOAD_TYPE:
            self.ignored_packets += 1
            return
        self.remote_addr = self.remote_addr or addr
        try:
            self._queue.put_nowait(self._decoder.decode(packet.payload))
        except asyncio.QueueFull:
            if not self.dropped_packets:
                log.warning("rtp receiver queue full: dropping audio")
            self.dropped_packets += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # the end marker matters more than 20 ms of audio
        self._queue.put_nowait(None)

    async def events(self, *, receive_timeout_s: float = 10.0) -> AsyncIterator[MediaEvent]:
        """Audio until the transport closes; no packet for `receive_timeout_s` raises."""
        while True:
            try:
                async with asyncio.timeout(receive_timeout_s):
                    pcm16 = await self._queue.get()
            except TimeoutError:
                raise MediaProtocolError(f"no RTP audio for {receive_timeout_s} s") from None
            if pcm16 is None:
                return
            yield AudioReceived(pcm16)


async def open_rtp_receiver(
    host: str, port: int, *, target_hz: int = 16000
) -> tuple[asyncio.DatagramTransport, RtpUlawReceiver]:
    """Bind a UDP socket (port 0 = any) for Asterisk's externalMedia RTP to send to."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: RtpUlawReceiver(target_hz=target_hz), local_addr=(host, port)
    )
    return transport, protocol
