"""RTP/ulaw intake over a real UDP socket: Asterisk's second externalMedia option."""

from __future__ import annotations

import asyncio
import struct

import pytest

from asr.grammar import build_grammar
from asr.intent import Accept, MenuOption, decide
from asr.media import listen, open_rtp_receiver, pcm16_to_ulaw
from asr.recognizer import Final, VoskRecognizer
from asr.vosk import VoskModel

from .conftest import KO_OPTIONS, espeak_pcm16


def rtp_packets(ulaw: bytes, payload_type: int = 0) -> list[bytes]:
    packets = []
    for seq, start in enumerate(range(0, len(ulaw), 160)):
        header = struct.pack("!BBHII", 0x80, payload_type, seq, seq * 160, 0x1234)
        packets.append(header + ulaw[start : start + 160])
    return packets


@pytest.mark.slow
async def test_asr_rtp_ulaw_stream_is_recognised(ko_model: VoskModel) -> None:
    transport, receiver = await open_rtp_receiver("127.0.0.1", 0)
    port = transport.get_extra_info("sockname")[1]
    loop = asyncio.get_running_loop()
    sender, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=("127.0.0.1", port)
    )
    try:
        sender.sendto(rtp_packets(b"\xff" * 160, payload_type=8)[0])  # PCMA: ignored
        for packet in rtp_packets(pcm16_to_ulaw(espeak_pcm16("상담원", 8000))):
            sender.sendto(packet)
        options = [MenuOption(oid, (p,)) for oid, p in KO_OPTIONS.items()]
        grammar = build_grammar({o.option_id: o.phrases for o in options}, ko_model, has_unk=False)
        recognizer = VoskRecognizer(ko_model, grammar=grammar)
        final = None
        async for event in listen(receiver.events(receive_timeout_s=5), recognizer):
            if isinstance(event, Final):
                final = event
                break
    finally:
        sender.close()
        transport.close()
    assert final is not None
    assert decide(options, final.transcript, grammar_mode=True) == Accept("agent", 1.0, 1.0)
    assert receiver.ignored_packets == 1
    assert receiver.dropped_packets == 0
