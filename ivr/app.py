"""Wiring: settings in, a running ARI application out.

`App.start(settings, root)` builds one `Services` object, each part from the parts built
before it: the call records in SQL (+ demo back office, staff users, recording index), the flow
versions, Redis and the queue store, the TTS renderer, the ARI switch (the embedded sandbox
switch when no ARI URL is configured) and client, the call router, the HTTP server (prompts,
staff API and pages, /healthz, /metrics), the queue hand-off, speech recognition, and last the
events websocket, which starts the calls. `app.stop()` stops them in reverse order.

Rules:
- Nothing below this module reads the environment; relative paths of the settings are
  relative to `root`. With no Redis URL configured a local redis-server is started.
- A part is built once, from its arguments, and never replaced: `App` only holds `Services`.
- Stopping is bounded and complete: every part built is stopped, a failing stop is logged and
  the others still run. A start that fails stops what it had built and raises.

How a call flows through the code: StasisStart -> `ivr.call.router` -> `ivr.call.session`
-> `ivr.engine` step -> commands -> ARI (`ivr.ari`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from asr.errors import AsrError
from asr.models import ModelRegistry
from asr.recognizer import RecognizerPool
from ivr.ari import AriEvents, AriObserver, AriRest, Dispatcher
from ivr.call.deps import SessionDeps
from ivr.call.media import HttpPromptMedia
from ivr.call.recording import RecordingKeeper
from ivr.call.records import CallRecordWriter
from ivr.call.router import CallRouter
from ivr.call.session import CallSession
from ivr.call.speech import SpeechService, media_base_url, unknown_phrase_words
from ivr.clock import Clock
from ivr.engine.errors import FlowError
from ivr.engine.model import FlowSet
from ivr.engine.tradingcal import load_trading_calendar
from ivr.errors import ConfigError
from ivr.flowversions.service import FlowVersions, VocabularyCheck, start_flow_versions
from ivr.metrics import Metrics
from ivr.prompts.tts import PromptRenderer
from ivr.providers.demo_data import seed_demo
from ivr.providers.sql import SqlDemoProviders
from ivr.queue.alerts import AlertingProviders, supervisor_alerts
from ivr.queue.boot import start_queue_store
from ivr.queue.local_redis import LocalRedis
from ivr.queue.recovery import Recovery
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch
from ivr.settings import Settings
from ivr.store import CallStore
from ivr.store.engine import database_url_in
from ivr.store.users import UserStore
from ivr.web.api import ApiDeps, add_api_routes
from ivr.web.api_control import add_control_routes, start_call_control
from ivr.web.api_flows import register_flow_routes
from ivr.web.api_queues import add_queue_routes, queue_admin_deps
from ivr.web.api_recordings import add_recording_routes
from ivr.web.pages import add_pages
from ivr.web.prompts import add_prompt_routes
from ivr.web.server import Health, WebServer, add_health_routes
from queueing.store import RedisQueueStore
from recordings import RecordingIndex
from recordings.config import load_recordings_config

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


class _MetricsObserver(AriObserver):
    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics

    def request_done(self, method: str, route: str, status: int | None, elapsed_s: float) -> None:
        self.m.ari_request_latency.observe(elapsed_s)

    def request_failed(self, method: str, route: str, error: str) -> None:
        self.m.ari_errors.labels(error).inc()

    def event_received(self, event_type: str) -> None:
        self.m.events_total.labels(event_type).inc()

    def connected(self, reconnect: bool) -> None:
        self.m.dependency("ari", True)
        if reconnect:
            self.m.reconnects.inc()

    def disconnected(self) -> None:
        self.m.dependency("ari", False)


class Closers:
    """What to stop, in the reverse order of start. A failing stop is logged; the rest run."""

    def __init__(self) -> None:
        self._closers: list[Callable[[], Awaitable[object]]] = []

    def add(self, close: Callable[[], Awaitable[object]]) -> None:
        self._closers.append(close)

    async def close_all(self) -> None:
        while self._closers:
            close = self._closers.pop()
            try:
                await close()
            except Exception:
                log.exception("error while stopping")


@dataclass(frozen=True, slots=True)
class Services:
    """Every part of the running app, in the order `build_services` builds them."""

    clock: Clock
    metrics: Metrics
    store: CallStore
    providers: SqlDemoProviders
    call_records: CallRecordWriter
    users: UserStore
    recordings: RecordingIndex
    flow_versions: FlowVersions
    redis: LocalRedis | None  # None: `settings.redis_url` names the Redis in use
    queue_store: RedisQueueStore
    renderer: PromptRenderer
    switch: SandboxSwitch | None  # None: a real Asterisk at `settings.ari.url`
    rest: AriRest
    router: CallRouter
    http: WebServer
    handoff: RedisQueueHandoff
    recovery: Recovery
    speech: SpeechService | None  # None: no speech models, every menu is DTMF-only
    deps: SessionDeps
    events: AriEvents


async def build_services(
    settings: Settings, root: Path, clock: Clock, closers: Closers
) -> Services:
    """Build and start every part, in dependency order; each one's stop is added to `closers`."""
    s, metrics = settings, Metrics()
    sql = await _open_sql(settings, root, clock, metrics, closers)
    models = _speech_models(settings, root)
    flow_versions = await start_flow_versions(
        sql.store.engine, s, root, vocabulary_check=_vocabulary_check(models)
    )
    closers.add(flow_versions.aclose)
    queue = await start_queue_store(settings, root, clock.timezone, metrics, closers.add)
    redis, queue_store, redis_health = queue.redis, queue.store, queue.health
    renderer = PromptRenderer(_under(root, s.paths.tts_cache), s.tts.voices, s.tts.rate_wpm)
    closers.add(renderer.close)
    switch, (ari_url, username, password) = await _start_switch(settings, root, closers)
    observer = _MetricsObserver(metrics)
    rest = AriRest(ari_url, username, password, timeout_s=s.ari.timeout_s, observer=observer)
    closers.add(rest.close)
    router = CallRouter(rest, s.ari.app)
    web_app = _web_app(settings, root, sql, flow_versions, queue_store, clock)
    add_health_routes(web_app, lambda: Health(len(router.sessions), failing()), metrics)
    http = await WebServer.start(web_app, s.http.host, s.http.port, s.http.public_base_url)
    closers.add(http.aclose)
    prompts = HttpPromptMedia(renderer, http.url)
    handoff = RedisQueueHandoff(
        queue_store, rest, clock, app=s.ari.app, bind=router.dispatcher.bind,
        unbind=router.dispatcher.unbind, outbound_dial=s.calls.outbound_dial, prompts=prompts,
        released=router.queue_released, desk_dial=s.calls.desk_fallback_dial,
    )  # fmt: skip
    handoff.start()
    closers.add(handoff.aclose)
    speech = _speech_service(models, rest, router.dispatcher, settings, ari_url, closers)
    deps = SessionDeps(
        rest=rest, flows=flow_versions.live, prompts=prompts,
        providers=AlertingProviders(sql.providers, queue_store, clock), handoff=handoff,
        records=sql.call_records, clock=clock, metrics=metrics, app_name=s.ari.app,
        default_flow=s.calls.default_flow, recorded_flows=s.calls.recorded_flows,
        keeper=RecordingKeeper(sql.recordings, rest), bind=router.dispatcher.bind, speech=speech,
        alert=supervisor_alerts(queue_store, clock),
    )  # fmt: skip
    events = AriEvents(
        ari_url, username, password, s.ari.app, on_connected=router.on_connected, observer=observer
    )
    recovery = Recovery(queue_store, rest, clock, instance=s.ari.app, holds=handoff.holds,
        close_lost=sql.call_records.lost)  # fmt: skip  # one ARI app name (its channels), one owner
    await recovery.start()  # own leftovers settled before any new call is taken
    router.opened.append(recovery.own)
    router.closed.append(recovery.disown)
    router.start(events, deps, start_call_control(web_app, handoff, rest, s, router))
    closers.add(recovery.aclose)
    closers.add(router.aclose)  # stopped before the parts the calls use
    closers.add(events.close)

    def failing() -> tuple[str, ...]:  # /healthz and `ivr_dependency_up`
        ari_up = router.healthy and events.connected.is_set()
        metrics.dependency("ari", ari_up)
        return tuple(n for n, up in (("redis", redis_health.up), ("ari", ari_up)) if not up)

    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        await events.connected.wait()
    log.info("ARI application %s connected to %s", s.ari.app, ari_url)
    return Services(
        clock=clock, metrics=metrics, store=sql.store, providers=sql.providers,
        call_records=sql.call_records, users=sql.users, recordings=sql.recordings,
        flow_versions=flow_versions, redis=redis, queue_store=queue_store, renderer=renderer,
        switch=switch, rest=rest, router=router, http=http, handoff=handoff, recovery=recovery,
        speech=speech, deps=deps, events=events,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Sql:
    store: CallStore
    providers: SqlDemoProviders
    call_records: CallRecordWriter
    users: UserStore
    recordings: RecordingIndex


async def _open_sql(s: Settings, root: Path, clock: Clock, m: Metrics, closers: Closers) -> _Sql:
    """The call records (migrated), the demo back office (seeded), users, recording index."""
    config_dir = _under(root, s.paths.config_dir)
    store = await CallStore.open(database_url_in(s.database_url, root))
    closers.add(store.close)
    async with AsyncSession(store.engine) as db, db.begin():
        await seed_demo(db)
    calendar_file = config_dir / "trading_calendar.yaml"
    calendar = load_trading_calendar(calendar_file) if calendar_file.is_file() else None
    providers = SqlDemoProviders(store.engine, now=clock.now, calendar=calendar)
    journal = _under(root, s.paths.journal) / "calls.jsonl"
    call_records = CallRecordWriter(store, journal, s.calls.record_buffer, metrics=m)
    call_records.start()  # replays what a previous run left in the journal
    closers.add(call_records.aclose)
    users = UserStore(store.engine)  # tables migrated by CallStore.open
    recordings = RecordingIndex(
        store.engine,
        _under(root, s.paths.recordings),
        load_recordings_config(config_dir / "recordings.yaml"),
    )
    return _Sql(store, providers, call_records, users, recordings)


def _web_app(
    settings: Settings,
    root: Path,
    sql: _Sql,
    flow_versions: FlowVersions,
    queue_store: RedisQueueStore,
    clock: Clock,
) -> web.Application:
    """Prompts for Asterisk, the staff API (calls, queues, recordings, flows) and pages."""
    paths = settings.paths
    app = web.Application()
    tts_cache, prompt_root = _under(root, paths.tts_cache), _under(root, paths.prompt_root)
    add_prompt_routes(app, tts_cache=tts_cache, prompt_root=prompt_root)
    add_api_routes(app, ApiDeps(queue_store, sql.store, sql.users, clock))
    add_control_routes(app, queue_store, sql.store.engine, clock)
    add_recording_routes(app, sql.recordings)
    register_flow_routes(app, flow_versions)
    add_queue_routes(app, queue_admin_deps(root, paths.config_dir, queue_store, flow_versions))
    add_pages(app, flow_versions)
    return app


def _under(root: Path, p: Path) -> Path:
    return p if p.is_absolute() else root / p


async def _start_switch(
    settings: Settings, root: Path, closers: Closers
) -> tuple[SandboxSwitch | None, tuple[str, str, str]]:
    """The ARI to use: (the embedded switch or None, (url, username, password))."""
    s = settings
    if s.ari.url is not None:
        if not s.ari.password:
            raise ConfigError("IVR_ARI_URL is set but IVR_ARI_PASSWORD is not: set it")
        return None, (s.ari.url, s.ari.username, s.ari.password)
    password = s.ari.password or secrets.token_urlsafe(18)
    recordings = _under(root, s.paths.recordings) / "sandbox"
    # Asterisk answers a bare 500 without it (docs/asterisk-behaviour.md, "Calls and events")
    recordings.mkdir(parents=True, exist_ok=True)
    config = SandboxConfig(
        username=s.ari.username,
        password=password,
        speed=s.sandbox.speed,
        recordings_dir=recordings,
        stasis_app=s.ari.app,
        endpoints={
            name: EndpointBehavior(
                answer_after_s=e.answer_after_s or 0.0, never_answer=e.never_answer, busy=e.busy
            )
            for name, e in s.sandbox.endpoints.items()
        },
    )
    switch = SandboxSwitch(config)
    await switch.start()
    closers.add(switch.stop)
    return switch, (switch.ari_url, s.ari.username, password)


def _speech_models(settings: Settings, root: Path) -> ModelRegistry | None:
    """The configured speech models (docs/asr.md). A configured model that is missing is
    logged now (`ModelRegistry.check`) and its language runs DTMF-only."""
    if not settings.asr.models:
        return None
    registry = ModelRegistry({lang: _under(root, p) for lang, p in settings.asr.models.items()})
    registry.check()
    return registry


def _vocabulary_check(registry: ModelRegistry | None) -> VocabularyCheck | None:
    """With speech models, publish also refuses phrase words the models lack."""
    if registry is None:
        return None

    def check(flows: FlowSet, texts: Mapping[str, str]) -> list[FlowError]:
        try:
            return unknown_phrase_words(flows, registry, texts)
        except AsrError as exc:  # a broken model is reported at start-up already
            log.warning("speech vocabulary not checked: %s", exc)
            return []

    return check


def _speech_service(
    registry: ModelRegistry | None,
    rest: AriRest,
    dispatcher: Dispatcher,
    settings: Settings,
    ari_url: str,
    closers: Closers,
) -> SpeechService | None:
    if registry is None:
        return None
    service = SpeechService(
        registry,
        RecognizerPool(settings.asr.max_active),
        rest,
        app_name=settings.ari.app,
        media_base=media_base_url(ari_url),
        bind=dispatcher.bind,
    )
    closers.add(service.aclose)
    return service


class App:
    """The running application: `app = await App.start(settings, root)`, `await app.stop()`.
    Its parts are `app.services`; the properties below name the ones callers use."""

    def __init__(
        self, settings: Settings, root: Path, services: Services, closers: Closers
    ) -> None:
        self.settings = settings
        self.root = root
        self.services = services
        self._closers = closers

    @classmethod
    async def start(cls, settings: Settings, root: Path, *, clock: Clock | None = None) -> App:
        closers = Closers()
        try:
            services = await build_services(
                settings, root, clock or Clock(speed=settings.sandbox.speed), closers
            )
        except BaseException:
            await closers.close_all()
            raise
        return cls(settings, root, services, closers)

    async def stop(self) -> None:
        await self._closers.close_all()

    def flows(self) -> FlowSet:
        """The live flow set (new calls take it once; a publish/rollback replaces it)."""
        return self.services.flow_versions.live()

    @property
    def http_url(self) -> str:
        """Where Asterisk fetches prompts and staff reach the API and pages."""
        return self.services.http.url

    @property
    def sessions(self) -> dict[str, CallSession]:
        """The calls in progress by call key."""
        return self.services.router.sessions

    @property
    def dispatcher(self) -> Dispatcher:
        return self.services.router.dispatcher

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def store(self) -> CallStore:
        return self.services.store

    @property
    def providers(self) -> SqlDemoProviders:
        return self.services.providers

    @property
    def call_records(self) -> CallRecordWriter:
        return self.services.call_records

    @property
    def users(self) -> UserStore:
        return self.services.users

    @property
    def recordings(self) -> RecordingIndex:
        return self.services.recordings

    @property
    def flow_versions(self) -> FlowVersions:
        return self.services.flow_versions

    @property
    def queue_store(self) -> RedisQueueStore:
        return self.services.queue_store

    @property
    def renderer(self) -> PromptRenderer:
        return self.services.renderer

    @property
    def switch(self) -> SandboxSwitch | None:
        return self.services.switch

    @property
    def handoff(self) -> RedisQueueHandoff:
        return self.services.handoff

    @property
    def deps(self) -> SessionDeps:
        return self.services.deps

    @property
    def events(self) -> AriEvents:
        return self.services.events
