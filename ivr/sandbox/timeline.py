"""The sandbox switch's media timeline: who sends what, who hears what, slot by slot.

Role: an append-only log, in 20 ms slots of switch time, of every audio source and path of a
call, kept by the switch as things happen: the frames a channel's far end sends (`voice`:
speech; `idle`: the steady silent frames of a phone that streams silence), the prompts played
to a channel (`played`: the channel hears them alone and feeds nothing into its bridge
meanwhile), channel music on hold, who is in which bridge when (ARI channels, recorders,
announcers with their prompt) and the snoops (spy and whisper directions). `mixer.py`
replays it into the frames a recorder, a snoop or a listener received
(`docs/asterisk-behaviour.md`, "Recording").

Rules: pure data (numpy arrays of 8 kHz samples); no events, no I/O. A slot is
`round(switch seconds / 0.02)`; a span runs from `start` to `end` (exclusive; None while open).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

SLOT_S = 0.02
SAMPLES_PER_SLOT = 160  # 20 ms at 8 kHz
KEEP_ENDED = 200  # ended channels whose media stays known (for `media_log` after a call)

Samples = npt.NDArray[np.int16]


def slot_of(t_s: float) -> int:
    """The 20 ms slot of switch time `t_s`."""
    return round(t_s / SLOT_S)


@dataclass(slots=True)
class Span:
    """Something that lasts: from slot `start` to `end` (exclusive, None while it lasts), with
    the audio it plays from `start` (`clip`, 8 kHz) or silent frames (`clip` None)."""

    start: int
    end: int | None = None
    clip: Samples | None = None

    def close(self, at: int) -> None:
        if self.end is None:
            self.end = max(at, self.start)


@dataclass(slots=True)
class Membership:
    """One stay of a member in a bridge: a channel id, `rec:NAME` or `pb:ID`/`moh:BRIDGE`."""

    key: str
    kind: str  # channel | recorder | announcer | moh
    span: Span


@dataclass(slots=True)
class Snoop:
    spied: str
    spy: str  # in | out | both | none
    span: Span
    # What the snoop's own bridge feeds it goes into the spied channel: `out` into what it
    # hears (only its party hears it), `in` into what it sends (its bridge peers hear it).
    whisper: str = "none"


@dataclass(slots=True)
class Timeline:
    """What is audible where and when (see the module docstring)."""

    voice: dict[str, dict[int, Samples]] = field(default_factory=dict)
    idle: dict[str, list[Span]] = field(default_factory=dict)
    played: dict[str, list[Span]] = field(default_factory=dict)
    moh: dict[str, list[Span]] = field(default_factory=dict)
    members: dict[str, list[Membership]] = field(default_factory=dict)
    snoops: dict[str, Snoop] = field(default_factory=dict)
    lives: dict[str, Span] = field(default_factory=dict)  # channel id -> its existence
    ended: deque[str] = field(default_factory=deque)  # ended channels, oldest first

    # -- sources -------------------------------------------------------------------------------

    def add_voice(self, channel_id: str, slot: int, pcm8k: Samples) -> None:
        """One 20 ms frame of speech the far end of `channel_id` sent in `slot`."""
        self.voice.setdefault(channel_id, {})[slot] = pcm8k

    def open(self, table: dict[str, list[Span]], key: str, at: int, clip: Samples | None) -> Span:
        span = Span(at, None, clip)
        table.setdefault(key, []).append(span)
        return span

    def close_all(self, table: dict[str, list[Span]], key: str, at: int) -> None:
        for span in table.get(key, ()):
            span.close(at)

    # -- bridges -------------------------------------------------------------------------------

    def join(
        self, bridge_id: str, key: str, kind: str, at: int, clip: Samples | None = None
    ) -> None:
        self.members.setdefault(bridge_id, []).append(Membership(key, kind, Span(at, None, clip)))

    def leave(self, bridge_id: str, key: str, at: int) -> None:
        for member in self.members.get(bridge_id, ()):
            if member.key == key:
                member.span.close(at)

    def bridges_of(self, key: str) -> list[str]:
        return [b for b, ms in self.members.items() if any(m.key == key for m in ms)]

    # -- channels ------------------------------------------------------------------------------

    def born(self, channel_id: str, at: int) -> None:
        self.lives[channel_id] = Span(at)

    def died(self, channel_id: str, at: int) -> None:
        life = self.lives.get(channel_id)
        if life is not None:
            life.close(at)
        for table in (self.idle, self.played, self.moh):
            self.close_all(table, channel_id, at)
        for bridge_id in self.bridges_of(channel_id):
            self.leave(bridge_id, channel_id, at)
        snoop = self.snoops.get(channel_id)
        if snoop is not None:
            snoop.span.close(at)
        self.ended.append(channel_id)

    def forget_oldest(self, keep: int = KEEP_ENDED, busy: bool = False) -> None:
        """Drop what is known of ended channels beyond the newest `keep` (not while `busy`:
        a live recording may still need it), and bridges nobody is in any more."""
        while len(self.ended) > keep and not busy:
            gone = self.ended.popleft()
            for spans in (self.idle, self.played, self.moh):
                spans.pop(gone, None)
            self.voice.pop(gone, None)
            self.snoops.pop(gone, None)
            self.lives.pop(gone, None)
            for bridge_id, members in list(self.members.items()):
                kept = [m for m in members if m.key != gone]
                if all(m.span.end is not None for m in kept) and not any(
                    m.kind == "channel" and m.key in self.lives for m in kept
                ):
                    del self.members[bridge_id]
                else:
                    self.members[bridge_id] = kept
