"""Stand-ins for Asterisk's core sounds, for the sandbox switch's sounds directory.

Role: the sandbox ships no audio; `write_stand_in_sounds(dir)` writes 8 kHz mono 16-bit WAVs
named like the Asterisk sounds the project's checks play, with their real lengths and
loudness, so a recording on the sandbox has energy where a real one has it:
- `en/tt-monkeys.wav`: 16.2 s of noise whose RMS, second by second, follows the real file
  (about 2236 in its first second; a recording of it shows half, see
  `docs/asterisk-behaviour.md`, "Recording");
- `en/beep.wav`: a 0.425 s 1 kHz tone;
- `en/silence/1.wav` .. `en/silence/10.wav`: digital silence.

Rules: deterministic (a fixed seed); writes only inside the given directory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ivr.sandbox.audio import RATE_8K, Samples, wav_bytes

# Source RMS per second of tt-monkeys (twice what a recording of it shows, per second).
TT_MONKEYS_RMS = (
    2234, 3356, 3272, 3556, 3538, 3184, 2662, 3062, 3234,
    3082, 2786, 3160, 3000, 3000, 3000, 3000, 3000,
)  # fmt: skip
TT_MONKEYS_S = 16.2
BEEP_S = 0.425


def tt_monkeys() -> Samples:
    """16.2 s of band-limited noise, loud as the real tt-monkeys second by second."""
    rng = np.random.default_rng(20261205)
    n = int(TT_MONKEYS_S * RATE_8K)
    noise = rng.standard_normal(n + 8)
    smooth = np.convolve(noise, np.ones(4) / 4, mode="same")[:n]  # a touch of low-pass
    out = np.zeros(n)
    for second, rms in enumerate(TT_MONKEYS_RMS):
        part = smooth[second * RATE_8K : (second + 1) * RATE_8K]
        if len(part):
            out[second * RATE_8K : second * RATE_8K + len(part)] = part * (
                rms / np.sqrt(np.mean(part**2))
            )
    samples: Samples = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    return samples


def beep() -> Samples:
    t = np.arange(int(BEEP_S * RATE_8K)) / RATE_8K
    samples: Samples = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    return samples


def write_stand_in_sounds(sounds_dir: Path) -> Path:
    """Write the stand-ins below `sounds_dir` (language folder `en`); returns `sounds_dir`."""
    en = sounds_dir / "en"
    (en / "silence").mkdir(parents=True, exist_ok=True)
    (en / "tt-monkeys.wav").write_bytes(wav_bytes(tt_monkeys()))
    (en / "beep.wav").write_bytes(wav_bytes(beep()))
    for seconds in range(1, 11):
        silence = np.zeros(seconds * RATE_8K, dtype=np.int16)
        (en / "silence" / f"{seconds}.wav").write_bytes(wav_bytes(silence))
    return sounds_dir
