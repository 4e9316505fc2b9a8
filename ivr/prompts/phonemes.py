"""What the shipped voice would say: espeak-ng's phoneme mnemonics of a text (`-x -q`).

Rules: the same espeak-ng and voice as the TTS renderer (voices per language from settings:
`cmn-latn-pinyin` for zh-CN), the text given on stdin (never in the arguments, which every
local user can read); bounded by a timeout; a missing espeak-ng, an unknown voice or a
failure raises `TtsError` with what to fix. Used by `ivr prompts say --phonemes` and by the
tests that check read-back prompts by ear.
"""

from __future__ import annotations

from ivr.prompts.tts import TtsError, run_espeak

PHONEMES_TIMEOUT_S = 10.0


def phonemes(text: str, voice: str) -> str:
    """espeak-ng's phonemes of `text` read by `voice`, one line per clause, stripped."""
    done = run_espeak(["-v", voice, "-x", "-q"], text, PHONEMES_TIMEOUT_S)
    problem = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0 or problem:
        raise TtsError(f"espeak-ng failed for voice {voice!r}: {problem or done.returncode}")
    lines = done.stdout.decode(errors="replace").splitlines()
    return "\n".join(line.strip() for line in lines if line.strip())
