"""Real recognition: espeak-ng Korean utterances -> media websocket -> VoskRecognizer -> intent.

The 4-option grammar (상담원, 비상, 잔고 조회, 계좌) spoken by two espeak-ng voices = 8 utterances,
at 16 kHz (slin16 frames) and at 8 kHz (ulaw frames, decoded and resampled to 16 kHz).
"""

from __future__ import annotations

import itertools

import aiohttp
import pytest

from asr.grammar import build_grammar
from asr.intent import Accept, Confirm, Decision, MenuOption, Reject, decide
from asr.media import ChanWebsocketMedia, DtmfEnded, listen, media_url
from asr.recognizer import Final, NoInput, SpeechStarted, VoskRecognizer
from asr.vosk import VoskModel

from .conftest import KO_OPTIONS, VOICES, MediaScript, MediaServer, espeak_pcm16, pcm16_to_ulaw

OPTIONS = [MenuOption(oid, (phrase,)) for oid, phrase in KO_OPTIONS.items()]
_ids = itertools.count()


def _recognizer(model: VoskModel, *, freeform_pass: bool = False) -> VoskRecognizer:
    phrases = {o.option_id: o.phrases for o in OPTIONS}
    grammar = build_grammar(phrases, model, has_unk=model.has_unk)
    return VoskRecognizer(model, grammar=grammar, freeform_pass=freeform_pass)


def _script(text: str, rate_hz: int, voice: tuple[str, ...]) -> MediaScript:
    audio = espeak_pcm16(text, rate_hz, voice)
    return MediaScript("slin16", audio) if rate_hz == 16000 else MediaScript("ulaw", pcm16_to_ulaw(audio))


async def _hear(
    server: MediaServer, script: MediaScript, recognizer: VoskRecognizer
) -> list[object]:
    """Stream one scripted call into the recognizer; events up to Final/NoInput, then HANGUP."""
    connection_id = f"conn-{next(_ids)}"
    server.scripts[connection_id] = script
    events: list[object] = []
    async with aiohttp.ClientSession() as session:
        url = media_url(server.base_url, connection_id)
        media = await ChanWebsocketMedia.connect(session, url, receive_timeout_s=10)
        async for event in listen(media.events(), recognizer):
            events.append(event)
            if isinstance(event, Final | NoInput):
                break
        await media.hangup()
        await media.close()
    return events


def _decision(events: list[object], *, language: str = "ko") -> Decision:
    final = next((e for e in events if isinstance(e, Final)), None)
    if final is None:
        return Reject("no-speech")
    return decide(
        OPTIONS, final.transcript, grammar_mode=True, freeform=final.freeform, language=language
    )


async def _score(server: MediaServer, model: VoskModel, rate_hz: int) -> list[tuple[str, Decision]]:
    results = []
    for voice, (option_id, phrase) in itertools.product(VOICES, KO_OPTIONS.items()):
        events = await _hear(server, _script(phrase, rate_hz, voice), _recognizer(model))
        results.append((option_id, _decision(events)))
    return results


def _right(results: list[tuple[str, Decision]]) -> int:
    return sum(
        1 for want, d in results if isinstance(d, Accept | Confirm) and d.option_id == want
    )


def _wrong_accepts(results: list[tuple[str, Decision]]) -> int:
    return sum(1 for want, d in results if isinstance(d, Accept) and d.option_id != want)


@pytest.mark.slow
async def test_asr_korean_menu_at_16khz_picks_the_spoken_option(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    results = await _score(media_server, ko_model, 16000)
    assert _right(results) >= 6, results


@pytest.mark.slow
async def test_asr_korean_menu_at_8khz_ulaw_picks_the_spoken_option(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    results = await _score(media_server, ko_model, 8000)
    assert _right(results) >= 4, results
    assert _wrong_accepts(results) <= 2, results
