"""Speech in live calls: one `CallSpeech` per call turns the engine's `StartRecognition` into
caller audio -> Vosk -> `SpeechRecognised` events in the call's mailbox (see docs/asr.md).

Audio path (docs/asterisk-behaviour.md, "Media for speech recognition"): a snoop channel on
the caller (`spy=in`) and a chan_websocket externalMedia channel (`slin16`, server mode) share a
mixing bridge; we connect to `ws://<ARI host>/media/<MEDIA_WEBSOCKET_CONNECTION_ID>` and feed
`asr.media.listen` into a `VoskRecognizer` built with the menu's grammar.

Rules:
- The engine decides. We only translate: `Final` -> `asr.intent.decide` -> Accept sends the
  option's phrase (the engine matches phrases itself) with its confidence; Confirm sends the
  phrase marked `unsure` (a menu with `confirm_below` asks the caller yes/no; one without
  retries, as for low confidence); Reject of heard speech sends `SpeechRecognised("", 0.0)`
  (the engine's no-match/low-confidence retry); silence and `NoInput` send nothing (the engine's
  input timer rules). After each final the recognizer listens anew until `stop()`; a final
  decided after `stop()` (the engine moved on: a new question, another menu) is dropped.
- `SpeechStarted` calls `on_speech_started` (barge-in: the session stops its prompts).
- No model for the language, a model that fails to load, or a full `RecognizerPool`: the menu
  runs DTMF-only; logged once per call at INFO.
- The snoop, media channel and bridge ids are chosen by us and bound to the call (`bind`)
  BEFORE they are created, so their StasisStart reaches the call's lane and never opens a call.
- Bounded: setup under `SETUP_TIMEOUT_S`, teardown (media socket closed, both channels hung up,
  bridge destroyed) under `TEARDOWN_TIMEOUT_S`; `aclose()` leaves nothing behind. Audio is never
  logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from asr.errors import AsrError
from asr.grammar import build_grammar, normalise_phrase
from asr.intent import Decision, Reject, Thresholds, score_margin
from asr.media import ChanWebsocketMedia, listen, media_url
from asr.models import ModelRegistry, SpeechModel
from asr.recognizer import Final, FreeformPass, RecognizerPool, SpeechStarted, VoskRecognizer
from asr.vocab import unknown_words
from ivr.ari import AriError, AriRest, ChannelId, NotInStasis
from ivr.engine import events as ev
from ivr.engine.errors import FlowError
from ivr.engine.hearing import hear, speech_event
from ivr.engine.model import FlowSet, MenuNode, Option, Pos

log = logging.getLogger(__name__)

SETUP_TIMEOUT_S = 10.0
TEARDOWN_TIMEOUT_S = 2.0
MEDIA_RECEIVE_TIMEOUT_S = 300.0  # a silent caller sends no frames on the sandbox switch
ADD_TO_BRIDGE_TRIES = 20  # the media channel enters Stasis just after the socket connects
ADD_TO_BRIDGE_RETRY_S = 0.05
MEDIA_FORMAT = "slin16"
RATE_HZ = 16000

Post = Callable[[ev.Event], None]
OnSpeechStarted = Callable[[], Awaitable[None]]


def media_base_url(ari_url: str) -> str:
    """`http://host:8088` (or `.../ari`) -> `ws://host:8088`: Asterisk serves /media there."""
    parts = urlsplit(ari_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Guard:
    """The out-of-grammar guard's settings (`asr.freeform_pass`, `asr.min_margin_per_s`,
    `asr.clipped_margin_per_s`, `asr.lead_ms`; docs/asr.md)."""

    freeform_pass: FreeformPass = "clipped"
    thresholds: Thresholds = field(default_factory=Thresholds)
    lead_ms: int = 200


@dataclass(frozen=True, slots=True)
class Heard:
    """One decided utterance of a call (kept for tests and diagnosis; never logged)."""

    grammar: tuple[str, ...]
    final: Final
    decision: Decision


MAX_HEARD = 50  # utterances kept per call


@dataclass(frozen=True, slots=True)
class _Plumbing:
    """The ARI objects of one listening menu (ids chosen up front, so teardown knows them)."""

    snoop: ChannelId
    media: ChannelId
    bridge: str
    created: set[str] = field(default_factory=set)  # ids whose creation was requested


class SpeechService:
    """What all calls share: models, the recognizer pool, ARI, the media websocket client."""

    def __init__(
        self,
        registry: ModelRegistry,
        pool: RecognizerPool,
        rest: AriRest,
        *,
        app_name: str,
        media_base: str,
        bind: Callable[[str, str], None],
        guard: Guard = Guard(),
    ) -> None:
        self.guard = guard
        self.registry = registry
        self.pool = pool
        self.rest = rest
        self.app_name = app_name
        self.media_base = media_base
        self.bind = bind
        self._http: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    def for_call(
        self, key: str, channel: ChannelId, post: Post, on_speech_started: OnSpeechStarted
    ) -> CallSpeech:
        return CallSpeech(self, key, channel, post, on_speech_started)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()


class CallSpeech:
    """One call's speech runner: at most one listening menu at a time."""

    def __init__(
        self,
        service: SpeechService,
        key: str,
        channel: ChannelId,
        post: Post,
        on_speech_started: OnSpeechStarted,
    ) -> None:
        self._svc = service
        self._key = key
        self._channel = channel
        self._post = post
        self._on_speech_started = on_speech_started
        self._seq = itertools.count(1)
        self._task: asyncio.Task[None] | None = None
        self._ending: set[asyncio.Task[None]] = set()
        self._dtmf_only_logged = False
        self.finals = 0  # finals decided (tests wait on it)
        self.heard: list[Heard] = []  # the last `MAX_HEARD` decided utterances

    def start(self, language: str, grammar: tuple[str, ...]) -> None:
        """Listen for the menu's phrases (never blocks; DTMF-only when speech is unavailable)."""
        self.stop()
        if not self._svc.registry.available(language):
            self._dtmf_only(f"no speech model for language {language!r}")
            return
        n = next(self._seq)
        ids = _Plumbing(
            ChannelId(f"{self._key}-asr{n}-snoop"),
            ChannelId(f"{self._key}-asr{n}-media"),
            f"{self._key}-asr{n}-bridge",
        )
        coro = self._run(language, grammar, ids)
        self._task = asyncio.create_task(coro, name=f"speech-{self._key}-{n}")

    def stop(self) -> None:
        """Stop listening; the teardown finishes in the background (`aclose()` awaits it)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            self._ending.add(task)
            task.add_done_callback(self._ending.discard)

    async def aclose(self) -> None:
        """Stop and wait (bounded) until every media socket, channel and bridge is gone."""
        self.stop()
        if self._ending:
            await asyncio.wait(set(self._ending), timeout=SETUP_TIMEOUT_S + TEARDOWN_TIMEOUT_S)

    @property
    def listening(self) -> bool:
        return self._task is not None and not self._task.done()

    def _dtmf_only(self, why: str) -> None:
        if not self._dtmf_only_logged:
            self._dtmf_only_logged = True
            log.info("speech off, menus DTMF-only: %s", why)

    # ------------------------------------------------------------------ one listening menu

    async def _run(self, language: str, grammar: tuple[str, ...], ids: _Plumbing) -> None:
        lease = self._svc.pool.try_acquire()  # here, not in start(): a task cancelled before
        if lease is None:  # it runs never reaches a `finally`
            self._dtmf_only(f"all {self._svc.pool.max_active} recognizers busy")
            return
        media: ChanWebsocketMedia | None = None
        try:
            async with asyncio.timeout(SETUP_TIMEOUT_S):
                model = await self._svc.registry.aget(language)
                media = await self._connect(ids)
            await self._recognise(media, model, language, grammar)
        except AsrError as exc:
            self._dtmf_only(str(exc))
        except (AriError, TimeoutError) as exc:
            log.warning("speech input lost, menu DTMF-only: %s", exc or type(exc).__name__)
        except Exception:
            log.exception("speech runner failed, menu DTMF-only")
        finally:
            try:
                await self._teardown(ids, media)
            finally:
                lease.release()

    async def _connect(self, ids: _Plumbing) -> ChanWebsocketMedia:
        svc, rest = self._svc, self._svc.rest
        for other in (ids.snoop, ids.media, ids.bridge):
            svc.bind(other, self._key)  # before creation: their StasisStart is this call's
        ids.created.add(ids.bridge)
        await rest.create_bridge("mixing", bridge_id=ids.bridge)
        ids.created.add(ids.snoop)
        await rest.snoop(
            self._channel,
            app=svc.app_name,
            spy="in",
            app_args=f"snoop,{self._key}",
            snoop_id=ids.snoop,
        )
        await rest.add_channel(ids.bridge, ids.snoop)
        ids.created.add(ids.media)
        channel = await rest.external_media(
            app=svc.app_name, channel_id=ids.media, format=MEDIA_FORMAT
        )
        connection_id = channel.channelvars.get("MEDIA_WEBSOCKET_CONNECTION_ID", "")
        media = await ChanWebsocketMedia.connect(
            svc.http(),
            media_url(svc.media_base, connection_id),
            target_hz=RATE_HZ,
            receive_timeout_s=MEDIA_RECEIVE_TIMEOUT_S,
        )
        try:
            await self._add_when_in_stasis(ids.bridge, ids.media)
        except BaseException:
            await media.close()
            raise
        log.debug("listening snoop=%s media=%s", ids.snoop, ids.media)
        return media

    async def _add_when_in_stasis(self, bridge: str, channel: ChannelId) -> None:
        for attempt in range(ADD_TO_BRIDGE_TRIES):
            try:
                await self._svc.rest.add_channel(bridge, channel)
                return
            except NotInStasis:
                if attempt == ADD_TO_BRIDGE_TRIES - 1:
                    raise
                await asyncio.sleep(ADD_TO_BRIDGE_RETRY_S)

    async def _recognise(
        self,
        media: ChanWebsocketMedia,
        model: SpeechModel,
        language: str,
        grammar: tuple[str, ...],
    ) -> None:
        phrases = {phrase: [phrase] for phrase in grammar}  # each phrase its own "option"
        vosk_grammar = build_grammar(phrases, model, has_unk=model.has_unk)
        guard = self._svc.guard
        recognizer = VoskRecognizer(
            model,
            grammar=vosk_grammar,
            sample_rate_hz=RATE_HZ,
            freeform_pass=guard.freeform_pass,
            lead_ms=guard.lead_ms,
        )
        async for heard in listen(media.events(), recognizer):
            if isinstance(heard, SpeechStarted):
                await self._on_speech_started()
            elif isinstance(heard, Final):
                self._final(heard, grammar, language)
                recognizer.reset()
        log.info("speech input ended: media socket closed")

    def _final(self, heard: Final, grammar: tuple[str, ...], language: str) -> None:
        decision = hear(
            grammar,
            language,
            heard.transcript,
            grammar_mode=heard.grammar_mode,
            freeform=heard.freeform,
            evidence=heard.evidence,
            thresholds=self._svc.guard.thresholds,
        )
        self.finals += 1
        self.heard = [*self.heard[-(MAX_HEARD - 1) :], Heard(grammar, heard, decision)]
        event = speech_event(decision)
        kind = type(decision).__name__.lower()
        detail = decision.reason if isinstance(decision, Reject) else decision.option_id
        if asyncio.current_task() is not self._task:  # stopped meanwhile: a stale result
            log.info("speech final dropped (listening stopped) decision=%s %s", kind, detail)
            return
        margin = score_margin(heard.transcript, heard.freeform, heard.speech_ms)
        log.info(
            "speech final decision=%s %s margin_per_s=%s speech_ms=%d clipped=%s",
            kind, detail, "-" if margin is None else f"{margin:.1f}", heard.speech_ms,
            heard.clipped,
        )  # fmt: skip
        if event is not None:
            self._post(event)

    async def _teardown(self, ids: _Plumbing, media: ChanWebsocketMedia | None) -> None:
        rest = self._svc.rest
        try:
            async with asyncio.timeout(TEARDOWN_TIMEOUT_S):
                if media is not None:
                    await media.close()
                for channel in (ids.media, ids.snoop):
                    if channel in ids.created:
                        with contextlib.suppress(AriError):
                            await rest.hangup(channel)
                if ids.bridge in ids.created:
                    with contextlib.suppress(AriError):
                        await rest.destroy_bridge(ids.bridge)
        except TimeoutError:
            log.warning("speech teardown timed out snoop=%s media=%s", ids.snoop, ids.media)


# ---------------------------------------------------------------------- ivr flows validate --asr


def unknown_phrase_words(
    flows: FlowSet, registry: ModelRegistry, texts: Mapping[str, str] | None = None
) -> list[FlowError]:
    """`path:line:col: ...` for every menu phrase with words the language's model lacks.

    Phrases are checked as the grammar will hold them (`normalise_phrase`: CJK split into
    known words). Languages without a configured model are skipped; a broken model raises
    `asr.errors.ModelUnavailable`.
    """
    problems: list[FlowError] = []
    for flow in sorted(flows.flows.values(), key=lambda f: str(f.path)):
        text = (texts or {}).get(flow.name)  # a candidate version, not the file on disk
        if text is None:
            text = flow.path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in flow.nodes.values():
            if isinstance(node, MenuNode):
                for option in node.options:
                    problems += _option_problems(flow.path, lines, node, option, registry)
    return problems


def _option_problems(
    path: Path, lines: list[str], node: MenuNode, option: Option, registry: ModelRegistry
) -> list[FlowError]:
    problems: list[FlowError] = []
    start = option.marks.get("phrases", option.pos)
    for language, phrases in sorted(option.phrases.items()):
        if language not in registry.languages():
            continue
        for phrase, words in _unknown(registry.get(language), phrases).items():
            pos = _phrase_pos(lines, start, phrase)
            message = (
                f"node '{node.id}' option '{option.key or option.next}': phrase '{phrase}' "
                f"({language}): {', '.join(words)} not in the speech model's vocabulary "
                f"(Vosk would drop them); use words the model knows, or a bigger model"
            )
            problems.append(FlowError(message, path=path, line=pos.line, column=pos.column))
    return problems


def _unknown(model: SpeechModel, phrases: tuple[str, ...]) -> dict[str, list[str]]:
    report: dict[str, list[str]] = {}
    for phrase in phrases:
        missing = unknown_words(model, [normalise_phrase(phrase, model)])
        if missing:
            report[phrase] = next(iter(missing.values()))
    return report


def _phrase_pos(lines: list[str], start: Pos, phrase: str) -> Pos:
    """Where `phrase` is written, searching from its option's `phrases:` (else that mark)."""
    for index in range(start.line - 1, len(lines)):
        column = lines[index].find(phrase)
        if column >= 0:
            return Pos(index + 1, column + 1)
    return start
