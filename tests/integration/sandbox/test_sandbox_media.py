"""Prompts over HTTP, recordings and chan_websocket external media on the sandbox switch."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from ivr.sandbox import EndpointBehavior, SandboxSwitch, scenario_from_dict
from ivr.sandbox.model import ChannelId
from tests.helpers import until
from tests.integration.sandbox.conftest import Ari, Events, tone_wav


@pytest.fixture
async def prompt_server(tmp_path: Path) -> AsyncIterator[tuple[str, list[str]]]:
    """An HTTP prompt server; yields its base URL and the paths it was asked for."""
    wav = tone_wav(tmp_path / "tone.wav", freq_hz=600, seconds=1.5).read_bytes()
    hits: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        hits.append(request.path_qs)
        if "missing" in request.path:
            return web.Response(status=404)
        headers = {"Cache-Control": "max-age=3600"} if "cache" in request.query else {}
        ctype = "audio/wav" if "noext" in request.path else "application/octet-stream"
        return web.Response(body=wav, headers=headers, content_type=ctype)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


async def answered_call(switch: SandboxSwitch, ari: Ari, events: Events, **scenario: Any) -> str:
    await switch.place_call(scenario_from_dict({"dialed": "100", "caller": "1", **scenario}))
    channel_id: str = (await events.next("StasisStart"))["channel"]["id"]
    await ari.req("POST", f"/channels/{channel_id}/answer")
    return channel_id


async def play_and_finish(ari: Ari, events: Events, channel: str, media: str) -> dict[str, Any]:
    status, _ = await ari.req("POST", f"/channels/{channel}/play", media=media)
    assert status == 201
    await events.next("PlaybackStarted")
    finished: dict[str, Any] = (await events.next("PlaybackFinished"))["playback"]
    return finished


async def test_http_prompts_cache_control_short_url_404(
    switch: SandboxSwitch, ari: Ari, prompt_server: tuple[str, list[str]]
) -> None:
    base, hits = prompt_server
    events = await ari.events()
    channel = await answered_call(switch, ari, events)
    long_url = f"sound:{base}/prompts/en/tone600.wav"
    assert len(long_url) - len("sound:") >= 40
    for _ in range(2):
        assert (await play_and_finish(ari, events, channel, long_url))["state"] == "done"
    for _ in range(2):
        done = await play_and_finish(ari, events, channel, f"{long_url}?cache=1")
        assert done["state"] == "done"
    short = f"sound:{base}/t.wav"  # 22.10.1: URLs under 36 characters fail
    assert (await play_and_finish(ari, events, channel, short))["state"] == "failed"
    missing = f"sound:{base}/prompts/en/missing.wav"
    assert (await play_and_finish(ari, events, channel, missing))["state"] == "failed"
    noext = f"sound:{base}/prompts/en/noext"
    assert (await play_and_finish(ari, events, channel, noext))["state"] == "done"
    assert hits == [
        "/prompts/en/tone600.wav",
        "/prompts/en/tone600.wav",
        "/prompts/en/tone600.wav?cache=1",  # fetched once, then served from the cache
        "/t.wav",
        "/prompts/en/missing.wav",
        "/prompts/en/noext",
    ]


async def test_bare_http_media_never_finishes_until_stopped(
    switch: SandboxSwitch, ari: Ari, prompt_server: tuple[str, list[str]]
) -> None:
    base, hits = prompt_server
    events = await ari.events()
    channel = await answered_call(switch, ari, events)
    _, _playback = await ari.req(
        "POST", f"/channels/{channel}/play", media=f"{base}/prompts/en/tone.wav", playbackId="b"
    )
    await events.next("PlaybackStarted")
    await switch.clock.sleep(5)  # five switch seconds: a 1.5 s file would have ended
    assert (await ari.req("GET", "/playbacks/b"))[1]["state"] == "playing"
    assert (await ari.req("DELETE", "/playbacks/b"))[0] == 204
    assert (await events.next("PlaybackFinished"))["playback"]["state"] == "done"
    assert hits == []
    assert (await ari.req("GET", "/playbacks/b"))[0] == 404


async def test_sound_files_wrong_rate_fails_and_queue_plays_in_order(
    switch: SandboxSwitch, ari: Ari
) -> None:
    events = await ari.events()
    channel = await answered_call(switch, ari, events)
    for media in ("sound:short", "sound:wrong-rate", "sound:hello-world"):
        assert (await ari.req("POST", f"/channels/{channel}/play", media=media))[0] == 201
    for expected in (("sound:short", "done"), ("sound:wrong-rate", "failed")):
        finished = (await events.next("PlaybackFinished"))["playback"]
        assert (finished["media_uri"], finished["state"]) == expected
    started = [
        e["playback"]["media_uri"] for e in events.received if e["type"] == "PlaybackStarted"
    ]
    assert started[:2] == ["sound:short", "sound:wrong-rate"]


def wav_of(data: bytes) -> tuple[tuple[int, int, int], np.ndarray]:
    with wave.open(io.BytesIO(data)) as w:
        params = (w.getnchannels(), w.getframerate(), w.getsampwidth())
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return params, samples


def band_share(samples: np.ndarray, freq_hz: float, rate: int = 8000) -> float:
    """Share of the signal's energy within 30 Hz of `freq_hz`."""
    power = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(power[np.abs(freqs - freq_hz) <= 30].sum() / power.sum())


async def test_channel_recording_file_and_events(
    switch: SandboxSwitch, ari: Ari, tmp_path: Path
) -> None:
    speech = tone_wav(tmp_path / "say.wav", freq_hz=1000, seconds=2.5, rate=16000)
    events = await ari.events()
    channel = await answered_call(
        switch,
        ari,
        events,
        steps=[{"wait_for": "prompt_end"}, {"speak": str(speech)}, {"press": "#"}],
    )
    status, live = await ari.req(
        "POST",
        f"/channels/{channel}/record",
        name="rec-1",
        format="wav",
        maxDurationSeconds=30,
        ifExists="overwrite",
        beep=False,
        terminateOn="#",
    )
    assert (status, live) == (
        201,
        {"name": "rec-1", "format": "wav", "state": "queued", "target_uri": f"channel:{channel}"},
    )
    await ari.req("POST", f"/channels/{channel}/play", media="sound:short")
    started = await events.next("RecordingStarted")
    assert started["recording"]["state"] == "recording"
    finished = (await events.next("RecordingFinished"))["recording"]
    assert (finished["state"], finished["duration"]) == ("done", 2)
    status, data = await ari_bytes(ari, "/recordings/stored/rec-1/file")
    params, samples = wav_of(data)
    assert (status, params) == (200, (1, 8000, 2))
    assert 2.3 <= len(samples) / 8000 <= 2.6  # only received frames are written
    assert band_share(samples, 1000) > 0.95
    assert await ari.req("GET", "/recordings/stored") == (200, [{"name": "rec-1", "format": "wav"}])
    assert await ari.req("POST", f"/channels/{channel}/record", name="rec-1", format="wav") == (
        409,
        {"message": "Recording 'rec-1' already exists and can not be overwritten"},
    )
    assert (await ari.req("DELETE", "/recordings/stored/rec-1"))[0] == 204
    assert (await ari.req("GET", "/recordings/stored"))[1] == []


async def ari_bytes(ari: Ari, path: str) -> tuple[int, bytes]:
    async with ari.session.get(f"{ari.base}/ari{path}", headers=ari.headers) as resp:
        return resp.status, await resp.read()


async def test_bridge_recording_mixes_both_parties(
    switch: SandboxSwitch, ari: Ari, tmp_path: Path
) -> None:
    agent_voice = tone_wav(tmp_path / "agent.wav", freq_hz=700, seconds=1.0)
    caller_voice = tone_wav(tmp_path / "caller.wav", freq_hz=1500, seconds=1.0)
    switch.endpoints["PJSIP/8001"] = EndpointBehavior(answer_after_s=0.5, speak=agent_voice)
    events = await ari.events()
    caller = await answered_call(
        switch, ari, events, steps=[{"wait_for": "prompt_end"}, {"speak": str(caller_voice)}]
    )
    await ari.req("POST", "/bridges", type="mixing", bridgeId="br")
    await ari.req("POST", "/bridges/br/addChannel", channel=caller)
    await ari.req("POST", "/bridges/br/record", name="both", format="wav", maxDurationSeconds=60)
    await ari.req("POST", "/channels", endpoint="PJSIP/8001", app="futures-ivr", channelId="ag")
    await events.next("StasisStart")
    await ari.req("POST", "/bridges/br/addChannel", channel="ag")
    await ari.req("POST", "/bridges/br/play", media="sound:short")
    said = switch.get_call(caller).transcript.said

    def both_spoke() -> bool:
        return (
            bool(said)
            and said[0]["end_s"] is not None
            and not switch.channels[ChannelId("ag")].tasks
        )

    await until(both_spoke, what="caller and agent finished speaking")
    assert (await ari.req("POST", "/recordings/live/both/stop"))[0] == 204
    finished = (await events.next("RecordingFinished"))["recording"]
    assert finished["target_uri"] == "bridge:br"
    assert 1 <= finished["duration"] <= 2  # two 1 s voices, overlapping or not
    _, data = await ari_bytes(ari, "/recordings/stored/both/file")
    samples = wav_of(data)[1]
    assert band_share(samples, 700) > 0.2
    assert band_share(samples, 1500) > 0.2


async def test_external_media_websocket_gets_caller_audio(
    switch: SandboxSwitch, ari: Ari, tmp_path: Path
) -> None:
    speech = tone_wav(tmp_path / "say.wav", freq_hz=1000, seconds=1.0, rate=16000)
    events = await ari.events()
    caller = await answered_call(
        switch,
        ari,
        events,
        steps=[{"wait_for": "prompt_end"}, {"speak": str(speech)}, {"hangup": True}],
    )
    status, em = await ari.req(
        "POST",
        "/channels/externalMedia",
        app="futures-ivr",
        transport="websocket",
        encapsulation="none",
        connection_type="server",
        format="slin16",
        channelId="em-1",
    )
    assert (status, em["state"], em["name"].startswith("WebSocket/INCOMING/")) == (
        200,
        "Down",
        True,
    )
    conn_id = em["channelvars"]["MEDIA_WEBSOCKET_CONNECTION_ID"]
    assert em["channelvars"]["MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE"] == "640"
    assert "StasisStart" not in events.types()[2:]  # not before the media socket connects
    media = await ari.session.ws_connect(f"{ari.base}/media/{conn_id}", protocols=("media",))
    assert media.protocol == "media"
    first = json.loads((await media.receive()).data)
    assert first["event"] == "MEDIA_START"
    assert (first["channel_id"], first["format"], first["optimal_frame_size"]) == (
        "em-1",
        "slin16",
        640,
    )
    em_start = await events.next("StasisStart")
    assert (em_start["channel"]["id"], em_start["channel"]["state"]) == ("em-1", "Up")
    _, snoop = await ari.req(
        "POST", f"/channels/{caller}/snoop", spy="in", app="futures-ivr", snoopId="sn-1"
    )
    assert snoop["name"].startswith(f"Snoop/{caller}-")
    await ari.req("POST", "/bridges", type="mixing", bridgeId="em-br")
    await ari.req("POST", "/bridges/em-br/addChannel", channel="sn-1,em-1")
    await ari.req("POST", f"/channels/{caller}/play", media="sound:short")
    await switch.get_call(caller).finished(5)
    await media.send_json({"command": "HANGUP"})  # ends the media channel: socket closes
    frames: list[bytes] = []
    while (msg := await media.receive(timeout=5)).type == aiohttp.WSMsgType.BINARY:
        frames.append(msg.data)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert len(frames) == 50  # 1 s of speech, 50 frames per second
    assert {len(f) for f in frames} == {640}
    samples = np.frombuffer(b"".join(frames), dtype="<i2")
    assert band_share(samples, 1000, 16000) > 0.95
    em_end = await events.next("ChannelDestroyed")
    assert (em_end["channel"]["id"], em_end["cause"]) == ("em-1", 16)


async def test_external_media_rtp_ulaw_packets(
    switch: SandboxSwitch, ari: Ari, tmp_path: Path
) -> None:
    received: list[bytes] = []

    class Sink(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            received.append(data)

    loop = asyncio.get_running_loop()
    sink, _ = await loop.create_datagram_endpoint(Sink, local_addr=("127.0.0.1", 0))
    port = sink.get_extra_info("sockname")[1]
    speech = tone_wav(tmp_path / "say.wav", freq_hz=1000, seconds=0.5)
    events = await ari.events()
    caller = await answered_call(
        switch, ari, events, steps=[{"wait_for": "prompt_end"}, {"speak": str(speech)}]
    )
    status, em = await ari.req(
        "POST",
        "/channels/externalMedia",
        app="futures-ivr",
        external_host=f"127.0.0.1:{port}",
        format="ulaw",
        channelId="rtp-1",
    )
    assert (status, em["name"].startswith(f"UnicastRTP/127.0.0.1:{port}-")) == (200, True)
    assert set(em["channelvars"]) == {"UNICASTRTP_LOCAL_ADDRESS", "UNICASTRTP_LOCAL_PORT"}
    await events.next("StasisStart")
    await ari.req("POST", "/bridges", type="mixing", bridgeId="rb")
    await ari.req("POST", "/bridges/rb/addChannel", channel=f"{caller},rtp-1")
    await ari.req("POST", f"/channels/{caller}/play", media="sound:short")
    try:
        await until_len(received, 25)
    finally:
        sink.close()
    assert {len(p) for p in received} == {172}  # 12-byte RTP header + 160 bytes ulaw
    assert {p[0] for p in received} == {0x80}  # RTP version 2
    assert {p[1] & 0x7F for p in received} == {0}  # payload type 0: PCMU
    seqs = [int.from_bytes(p[2:4], "big") for p in received]
    assert seqs == list(range(seqs[0], seqs[0] + 25))


async def until_len(items: list[bytes], count: int) -> None:
    await until(lambda: len(items) >= count, what=f"{count} packets")
