"""Replays the media timeline into the frames a party of the sandbox switch received.

Role: Asterisk's frame paths as `docs/asterisk-behaviour.md` ("Bridges", "Recording")
describes them, computed from the `Timeline` for a range of 20 ms slots:
- what a channel's far end `sent` (speech frames, or steady silent frames);
- what a bridge member `received`: a `simple_bridge` (two members) only passes the other
  member's frames on, so a member gets a frame only when the other one sent one; a `softmix`
  bridge (three or more) sends every member a mixed frame every 20 ms, silence included. A
  channel playing a prompt to itself feeds nothing into its bridge; an announcer feeds its prompt;
  a recorder feeds nothing;
- what a channel `heard`: its bridge's frames, music on hold (its class's music if the
  switch has some, else silent frames), and while
  a prompt plays to the channel only that prompt;
- what a `snoop` produces: a frame every 20 ms from its creation to its end, holding what the
  spied channel says (`spy=in`), hears (`out`) or both, captured before any whisper is mixed in;
- what a snoop whispers: the frames its own bridge feeds it go into what the spied channel
  hears (`whisper=out`) and/or into what the spied channel feeds its bridge (`in`), as
  res_stasis_snoop's whisper audiohook does (supervisor coaching: `out` reaches the agent only).

Rules: pure (numpy); nothing is changed. Audio is 8 kHz at source level (a recording applies
its own gain when it writes the file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ivr.sandbox.timeline import SAMPLES_PER_SLOT, Membership, Span, Timeline

Mask = npt.NDArray[np.bool_]
Pcm = npt.NDArray[np.float32]

_MAX_DEPTH = 4  # snoops of snoops / a snoop bridged with its own channel: stop somewhere


@dataclass(slots=True)
class Frames:
    """Slots `[a, b)`: which carried a frame (`present`) and its samples (`pcm`, n x 160)."""

    present: Mask
    pcm: Pcm

    @classmethod
    def empty(cls, n: int) -> Frames:
        return cls(np.zeros(n, dtype=bool), np.zeros((n, SAMPLES_PER_SLOT), dtype=np.float32))

    def add(self, other: Frames) -> None:
        """Mix `other` in (a frame is present where either has one)."""
        self.pcm += other.pcm
        self.present |= other.present

    def override(self, other: Frames) -> None:
        """Where `other` has a frame, it replaces this one."""
        self.pcm[other.present] = other.pcm[other.present]
        self.present |= other.present

    def keep(self, mask: Mask) -> None:
        self.present &= mask
        self.pcm[~mask] = 0.0


def span_mask(spans: Iterable[Span], a: int, b: int) -> Mask:
    mask = np.zeros(b - a, dtype=bool)
    for span in spans:
        s, e = max(span.start, a), min(b if span.end is None else span.end, b)
        if e > s:
            mask[s - a : e - a] = True
    return mask


def span_frames(span: Span, a: int, b: int) -> Frames:
    """A frame in every slot `span` covers: its clip's audio, then silence."""
    out = Frames.empty(b - a)
    mix_span(out, span, a, b)
    return out


def mix_span(out: Frames, span: Span, a: int, b: int, *, override: bool = False) -> None:
    """Mix `span_frames(span, a, b)` into `out` (slots `[a, b)`; `override`: replace what
    `out` holds where the span has frames), touching only the slots the span covers: a long
    call's many spans must not each cost a whole call's worth of memory."""
    s, e = max(span.start, a), min(b if span.end is None else span.end, b)
    if e <= s:
        return
    out.present[s - a : e - a] = True
    if override:
        out.pcm[s - a : e - a] = 0.0
    if span.clip is not None:
        first = (s - span.start) * SAMPLES_PER_SLOT
        chunk = span.clip[first : first + (e - s) * SAMPLES_PER_SLOT]
        flat = out.pcm[s - a : e - a].reshape(-1)  # a view: `pcm` is C-contiguous
        flat[: len(chunk)] += chunk


class Mixer:
    """Frame paths over a `Timeline` (see the module docstring)."""

    def __init__(self, timeline: Timeline) -> None:
        self.tl = timeline

    def sent(self, channel_id: str, a: int, b: int) -> Frames:
        """Frames the far end of `channel_id` sent: speech, else steady silence if it does."""
        out = Frames.empty(b - a)
        for span in self.tl.idle.get(channel_id, ()):
            mix_span(out, span, a, b)
        for slot, pcm in self.tl.voice.get(channel_id, {}).items():
            if a <= slot < b:
                out.present[slot - a] = True
                out.pcm[slot - a] = pcm
        life = self.tl.lives.get(channel_id)
        if life is not None:
            out.keep(span_mask([life], a, b))  # speech logged ahead ends with the channel
        return out

    def busy(self, channel_id: str, a: int, b: int) -> Mask:
        """Slots in which a prompt played to the channel itself."""
        return span_mask(self.tl.played.get(channel_id, ()), a, b)

    def _feed(self, member: Membership, a: int, b: int, depth: int) -> Frames:
        """What `member` feeds into its bridge during its stay."""
        if member.kind == "channel":
            if member.key in self.tl.snoops:
                out = self.snoop(member.key, a, b, depth + 1)
            else:
                out = self.sent(member.key, a, b)
                out.keep(~self.busy(member.key, a, b))
                out.add(self.whispered(member.key, ("in", "both"), a, b, depth))
        elif member.kind in ("announcer", "moh"):
            out = span_frames(member.span, a, b)
        else:
            out = Frames.empty(b - a)
        out.keep(span_mask([member.span], a, b))
        return out

    def received(self, bridge_id: str, key: str, a: int, b: int, depth: int = 0) -> Frames:
        """What member `key` received from bridge `bridge_id` while in it."""
        members = self.tl.members.get(bridge_id, [])
        count = np.zeros(b - a, dtype=np.int32)
        for member in members:
            count += span_mask([member.span], a, b)
        out = Frames.empty(b - a)
        if depth <= _MAX_DEPTH:
            for member in members:
                if member.key != key:
                    out.add(self._feed(member, a, b, depth))
        out.present |= count >= 3  # softmix: a mixed frame every 20 ms
        out.keep(span_mask([m.span for m in members if m.key == key], a, b))
        return out

    def heard(
        self, channel_id: str, a: int, b: int, depth: int = 0, *, whisper: bool = True
    ) -> Frames:
        """What `channel_id` heard: its bridges, music on hold, its own prompts alone, and
        what a snoop whispers to it (`whisper` False: what a spy on it captures, which is
        taken before the whisper is mixed in, as Asterisk's audiohooks do)."""
        out = Frames.empty(b - a)
        for bridge_id in self.tl.bridges_of(channel_id):
            out.add(self.received(bridge_id, channel_id, a, b, depth))
        for span in self.tl.moh.get(channel_id, ()):
            mix_span(out, span, a, b)
        for span in self.tl.played.get(channel_id, ()):
            mix_span(out, span, a, b, override=True)
        if whisper:
            out.add(self.whispered(channel_id, ("out", "both"), a, b, depth))
        return out

    def whispered(
        self, channel_id: str, directions: tuple[str, ...], a: int, b: int, depth: int
    ) -> Frames:
        """What snoops on `channel_id` whisper in `directions`: the frames each snoop
        received from its own bridges while it lived."""
        out = Frames.empty(b - a)
        if depth > _MAX_DEPTH:
            return out
        for snoop_id, snoop in self.tl.snoops.items():
            if snoop.spied != channel_id or snoop.whisper not in directions:
                continue
            for bridge_id in self.tl.bridges_of(snoop_id):
                part = self.received(bridge_id, snoop_id, a, b, depth + 1)
                part.keep(span_mask([snoop.span], a, b))
                out.add(part)
        return out

    def snoop(self, snoop_id: str, a: int, b: int, depth: int = 0) -> Frames:
        """A snoop channel's frames: one every 20 ms while it lives."""
        snoop = self.tl.snoops[snoop_id]
        out = span_frames(Span(snoop.span.start, snoop.span.end), a, b)
        if depth <= _MAX_DEPTH:
            if snoop.spy in ("in", "both"):
                out.add(self.sent(snoop.spied, a, b))
            if snoop.spy in ("out", "both"):
                out.add(self.heard(snoop.spied, a, b, depth + 1, whisper=False))
        out.keep(span_mask([snoop.span], a, b))
        return out

    def channel_output(self, channel_id: str, a: int, b: int) -> Frames:
        """What a recording of the channel gets: a snoop's frames, else what its far end sent."""
        if channel_id in self.tl.snoops:
            return self.snoop(channel_id, a, b)
        return self.sent(channel_id, a, b)

    def heard_and_said(self, channel_id: str, a: int, b: int) -> Frames:
        """Everything audible on the channel (what a `spy=both` snoop on it would record)."""
        out = self.sent(channel_id, a, b)
        out.add(self.heard(channel_id, a, b))
        return out
