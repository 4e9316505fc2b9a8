"""Real recognition: espeak-ng Korean utterances -> media websocket -> VoskRecognizer -> intent.

The 4-option grammar (상담원, 비상, 잔고 조회, 계좌) spoken by two espeak-ng voices = 8 utterances,
at 16 kHz (slin16 frames) and at 8 kHz (ulaw frames, decoded and resampled to 16 kHz).
"""

from __future__ import annotations

import itertools

import aiohttp
import pytest

from asr.errors import MediaProtocolError
from asr.grammar import build_grammar
from asr.intent import Accept, Confirm, Decision, MenuOption, Reject, decide
from asr.media import ChanWebsocketMedia, DtmfEnded, listen, media_url, pcm16_to_ulaw
from asr.recognizer import Final, FreeformPass, NoInput, SpeechStarted, VoskRecognizer
from asr.vosk import VoskModel

from .conftest import KO_OPTIONS, VOICES, MediaScript, MediaServer, espeak_pcm16

OPTIONS = [MenuOption(oid, (phrase,)) for oid, phrase in KO_OPTIONS.items()]
_ids = itertools.count()


def _grammar(model: VoskModel) -> list[str]:
    phrases = {o.option_id: o.phrases for o in OPTIONS}
    return build_grammar(phrases, model, has_unk=model.has_unk)


def _recognizer(model: VoskModel, *, freeform_pass: bool = False) -> VoskRecognizer:
    mode: FreeformPass = "always" if freeform_pass else "off"
    return VoskRecognizer(model, grammar=_grammar(model), freeform_pass=mode)


def _script(text: str, rate_hz: int, voice: tuple[str, ...]) -> MediaScript:
    audio = espeak_pcm16(text, rate_hz, voice)
    return (
        MediaScript("slin16", audio)
        if rate_hz == 16000
        else MediaScript("ulaw", pcm16_to_ulaw(audio))
    )


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
        OPTIONS,
        final.transcript,
        grammar_mode=True,
        freeform=final.freeform,
        language=language,
        evidence=final.evidence,
    )


async def _score(server: MediaServer, model: VoskModel, rate_hz: int) -> list[tuple[str, Decision]]:
    results = []
    for voice, (option_id, phrase) in itertools.product(VOICES, KO_OPTIONS.items()):
        events = await _hear(server, _script(phrase, rate_hz, voice), _recognizer(model))
        results.append((option_id, _decision(events)))
    return results


def _right(results: list[tuple[str, Decision]]) -> int:
    return sum(1 for want, d in results if isinstance(d, Accept | Confirm) and d.option_id == want)


def _wrong_accepts(results: list[tuple[str, Decision]]) -> int:
    return sum(1 for want, d in results if isinstance(d, Accept) and d.option_id != want)


@pytest.mark.slow
async def test_asr_korean_menu_at_16khz_picks_the_spoken_option(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    results = await _score(media_server, ko_model, 16000)
    assert _right(results) >= 6, results  # measured 8/8: 7 accepted, 1 confirmed
    assert _wrong_accepts(results) <= 1, results


@pytest.mark.slow
async def test_asr_korean_menu_at_8khz_ulaw_picks_the_spoken_option(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    results = await _score(media_server, ko_model, 8000)
    assert _right(results) >= 5, results  # measured 6/8: 5 accepted, 1 confirmed, 2 no-match
    assert _wrong_accepts(results) <= 1, results


@pytest.mark.slow
@pytest.mark.parametrize(
    "speech", ["안녕하세요 날씨가 좋네요", "주문 취소", "오늘 주가가 많이 올랐어요"]
)
async def test_asr_out_of_grammar_speech_picks_no_option_with_high_confidence(
    media_server: MediaServer, ko_model: VoskModel, speech: str
) -> None:
    recognizer = _recognizer(ko_model, freeform_pass=True)
    events = await _hear(media_server, _script(speech, 16000, ()), recognizer)
    final = next(e for e in events if isinstance(e, Final))
    assert final.text  # grammar mode forced the speech onto grammar words...
    assert final.freeform is not None
    assert not isinstance(_decision(events), Accept)  # ...and the guard refuses it


@pytest.mark.slow
async def test_asr_speech_start_is_a_barge_in_in_audio_time(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    events = await _hear(media_server, _script("상담원", 16000, ()), _recognizer(ko_model))
    started = [e for e in events if isinstance(e, SpeechStarted)]
    final = events[-1]
    assert len(started) == 1
    assert 400 <= started[0].at_ms <= 700  # 500 ms of silence lead the speech
    assert isinstance(final, Final)
    assert final.text == "상담원"
    assert final.end_ms > started[0].at_ms + 700  # ended by the 700 ms silence rule


@pytest.mark.slow
async def test_asr_silence_gives_no_input_after_the_timeout(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    script = MediaScript("slin16", bytes(16000 * 2 * 6))  # 6 s of silence
    events = await _hear(media_server, script, _recognizer(ko_model))
    assert events == [NoInput(5000)]
    assert script.received_commands == [{"command": "HANGUP"}]


@pytest.mark.slow
async def test_asr_digits_arrive_alongside_speech(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    script = _script("계좌", 16000, ())
    script.digit_after_frames = ("5", 10)
    events = await _hear(media_server, script, _recognizer(ko_model))
    assert events[0] == DtmfEnded("5")
    assert isinstance(events[-1], Final)


async def test_asr_media_connect_failure_is_readable(media_server: MediaServer) -> None:
    url = f"{media_server.base_url}/nomedia/c-1"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(MediaProtocolError, match=rf"^media websocket {url}: cannot connect \("):
            await ChanWebsocketMedia.connect(session, url)


# Tails of sentences that live endpointing hands over when listening starts late (measured:
# grammar mode forced each onto an option with confidence >= 0.6, so the guard had accepted it)
FRAGMENTS = [
    ("안녕하세요 날씨가 좋네요", (), 1000),
    ("안녕하세요 날씨가 좋네요", (), 1300),
    ("안녕하세요 날씨가 좋네요", (), 1400),
    ("안녕하세요 날씨가 좋네요", ("-s", "140"), 2700),
    ("오늘 주가가 많이 올랐어요", (), 1100),
    ("오늘 주가가 많이 올랐어요", (), 1900),
    ("오늘 주가가 많이 올랐어요", ("-s", "140"), 1900),
    ("주문 취소", ("-s", "140"), 700),
]


def _clip(text: str, voice: tuple[str, ...], cut_ms: int) -> MediaScript:
    return MediaScript("slin16", espeak_pcm16(text, 16000, voice)[cut_ms * 32 :])


@pytest.mark.slow
async def test_asr_clipped_tails_of_other_speech_choose_nothing(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    decided = []
    for text, voice, cut_ms in FRAGMENTS:
        recognizer = VoskRecognizer(ko_model, grammar=_grammar(ko_model), freeform_pass="clipped")
        events = await _hear(media_server, _clip(text, voice, cut_ms), recognizer)
        final = next(e for e in events if isinstance(e, Final))
        assert final.clipped
        assert final.freeform is not None
        decided.append((text, cut_ms, final.text, final.freeform.text, _decision(events)))
    assert [d for d in decided if isinstance(d[-1], Accept | Confirm)] == []


@pytest.mark.slow
async def test_asr_clipped_in_grammar_words_still_choose_their_option(
    media_server: MediaServer, ko_model: VoskModel
) -> None:
    results = []
    for voice, (option_id, phrase) in itertools.product(VOICES, KO_OPTIONS.items()):
        recognizer = VoskRecognizer(ko_model, grammar=_grammar(ko_model), freeform_pass="clipped")
        events = await _hear(media_server, _clip(phrase, voice, 560), recognizer)
        assert next(e for e in events if isinstance(e, Final)).clipped
        results.append((option_id, _decision(events)))
    assert _wrong_accepts(results) == 0
    assert _right(results) >= 5, results
