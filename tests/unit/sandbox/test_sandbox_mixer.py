"""The sandbox switch's frame paths (`ivr.sandbox.mixer`) over a hand-made media timeline."""

from __future__ import annotations

import numpy as np

from ivr.sandbox.mixer import Mixer
from ivr.sandbox.timeline import Snoop, Span, Timeline


def clip(value: int, slots: int) -> np.ndarray:
    return np.full(slots * 160, value, dtype=np.int16)


def caller_in_bridge(tl: Timeline, *, silent_frames: bool) -> None:
    """Caller `c` in bridge `b` from slot 0; a recorder `rec:r` joins at slot 0."""
    if silent_frames:
        tl.open(tl.idle, "c", 0, None)
    tl.join("b", "c", "channel", 0)
    tl.join("b", "rec:r", "recorder", 0)


def test_simple_bridge_passes_frames_only_while_the_caller_sends() -> None:
    tl = Timeline()
    caller_in_bridge(tl, silent_frames=True)
    tl.open(tl.played, "c", 100, clip(1000, 300))  # a prompt to the channel from 2 s
    got = Mixer(tl).received("b", "rec:r", 0, 400)
    assert got.present[:100].all()
    assert not got.present[100:].any()  # the channel prompt feeds nothing into the bridge


def test_quiet_caller_feeds_nothing() -> None:
    tl = Timeline()
    caller_in_bridge(tl, silent_frames=False)
    assert not Mixer(tl).received("b", "rec:r", 0, 200).present.any()


def test_three_members_mix_every_20_ms() -> None:
    tl = Timeline()
    caller_in_bridge(tl, silent_frames=False)
    tl.join("b", "pb:p", "announcer", 50, clip(1000, 100))  # a bridge prompt, 2 s of audio
    tl.leave("b", "pb:p", 150)
    got = Mixer(tl).received("b", "rec:r", 0, 200)
    assert not got.present[:50].any()  # two members, nothing sent
    assert got.present[50:150].all()  # three: the mix, every slot
    assert np.all(got.pcm[50:150] == 1000.0)
    assert not got.present[150:].any()


def test_channel_prompt_is_all_the_channel_hears() -> None:
    tl = Timeline()
    caller_in_bridge(tl, silent_frames=False)
    tl.join("b", "pb:p", "announcer", 0, clip(500, 400))
    tl.open(tl.played, "c", 100, clip(2000, 100)).close(200)
    heard = Mixer(tl).heard("c", 0, 300)
    assert heard.present.all()  # three members: continuous
    assert np.all(heard.pcm[:100] == 500.0)
    assert np.all(heard.pcm[100:200] == 2000.0)  # its own prompt alone
    assert np.all(heard.pcm[200:] == 500.0)


def test_snoop_frames_are_continuous_and_hold_both_directions() -> None:
    tl = Timeline()
    tl.join("b", "c", "channel", 0)
    tl.snoops["s"] = Snoop("c", "both", Span(10))
    tl.open(tl.played, "c", 100, clip(1000, 50)).close(150)
    tl.add_voice("c", 160, clip(300, 1))
    got = Mixer(tl).snoop("s", 0, 200)
    assert not got.present[:10].any()
    assert got.present[10:].all()  # a frame every 20 ms from its creation
    assert np.all(got.pcm[100:150] == 1000.0)  # what the caller heard
    assert np.all(got.pcm[160] == 300.0)  # what the caller said
    assert np.all(got.pcm[150:160] == 0.0)  # silence in between
    spy_in = Snoop("c", "in", Span(0))
    tl.snoops["s"] = spy_in
    assert np.all(Mixer(tl).snoop("s", 0, 200).pcm[100:150] == 0.0)


def agent_call_with_a_snoop(whisper: str) -> Timeline:
    """Caller `c` (sends 100) and agent `a` (sends 200) in bridge `b`; a snoop `s` on `a`
    (spy both, `whisper`) in bridge `m` with the supervisor `v` (sends 400), all from slot 0."""
    tl = Timeline()
    for channel, value in (("c", 100), ("a", 200), ("v", 400)):
        tl.born(channel, 0)
        tl.open(tl.idle, channel, 0, clip(value, 100))
    tl.join("b", "c", "channel", 0)
    tl.join("b", "a", "channel", 0)
    tl.snoops["s"] = Snoop("a", "both", Span(0), whisper)
    tl.born("s", 0)
    tl.join("m", "s", "channel", 0)
    tl.join("m", "v", "channel", 0)
    return tl


def levels(frames_pcm: np.ndarray) -> float:
    return float(frames_pcm[:100].mean())


def test_listen_the_supervisor_hears_both_parties_and_nobody_hears_the_supervisor() -> None:
    mixer = Mixer(agent_call_with_a_snoop("none"))
    assert levels(mixer.heard("v", 0, 100).pcm) == 300.0  # caller + agent
    assert levels(mixer.heard("a", 0, 100).pcm) == 100.0  # the caller only
    assert levels(mixer.heard("c", 0, 100).pcm) == 200.0  # the agent only


def test_whisper_out_reaches_the_agent_only_and_the_spy_does_not_hear_itself() -> None:
    mixer = Mixer(agent_call_with_a_snoop("out"))
    assert levels(mixer.heard("a", 0, 100).pcm) == 500.0  # caller + supervisor
    assert levels(mixer.heard("c", 0, 100).pcm) == 200.0  # the agent, no supervisor
    assert levels(mixer.heard("v", 0, 100).pcm) == 300.0  # spied before the whisper


def test_whisper_in_reaches_the_agents_bridge_peers() -> None:
    mixer = Mixer(agent_call_with_a_snoop("in"))
    assert levels(mixer.heard("c", 0, 100).pcm) == 600.0  # agent + supervisor
    assert levels(mixer.heard("a", 0, 100).pcm) == 100.0
