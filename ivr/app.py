"""Wiring: settings in, a running ARI application out.

`App.start(settings, root)` builds everything once and passes it down: the flows, SQL call
records (+ demo back office), the TTS renderer, the HTTP server (prompts, /healthz, /metrics),
the ARI client and its events websocket, the per-call dispatcher and the call sessions. With
no ARI URL configured it starts the embedded sandbox switch; with no Redis URL, a local
redis-server. Nothing below this module reads the environment.

Event routing: every ARI event goes to the dispatcher; an event no call owns that is a
`StasisStart` opens a new call (its channel id is the call key). Related channels and playbacks
are bound to their call. After a websocket reconnect, calls are resynced: survivors go on, the
others are ended with cause `lost`. `ApplicationReplaced` stops consumption and marks the app
unhealthy (`/healthz` 503): another process owns the app name.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from asr.errors import AsrError
from asr.models import ModelRegistry
from asr.recognizer import RecognizerPool
from ivr import ari
from ivr.ari import AriAppReplaced, AriError, AriEvents, AriObserver, AriRest, Dispatcher
from ivr.call.media import HttpPromptMedia
from ivr.call.recording import RecordingKeeper
from ivr.call.records import StoreRecorder
from ivr.call.session import CallSession, SessionDeps
from ivr.call.speech import SpeechService, media_base_url, unknown_phrase_words
from ivr.clock import Clock
from ivr.engine import load_checked
from ivr.engine.errors import FlowError
from ivr.engine.model import FlowSet
from ivr.engine.tradingcal import load_trading_calendar
from ivr.errors import ErrorList
from ivr.flowversions.service import FlowVersions, flow_context
from ivr.metrics import Metrics
from ivr.prompts.tts import PromptRenderer
from ivr.providers.demo_data import seed_demo
from ivr.providers.sql import SqlDemoProviders
from ivr.queue.alerts import AlertingProviders
from ivr.queue.handoff import QueueHandoff
from ivr.queue.local_redis import LocalRedis, start_local_redis
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch
from ivr.settings import Settings
from ivr.store import CallStore
from ivr.store.users import UserStore
from ivr.web.api import ApiDeps, add_api_routes
from ivr.web.api_flows import add_flow_version_routes
from ivr.web.api_queues import add_queue_routes, queue_admin_deps
from ivr.web.api_recordings import add_recording_routes
from ivr.web.pages import add_pages
from ivr.web.prompts import add_prompt_routes
from queueing.config import load_queues
from queueing.store import RedisQueueStore
from recordings import RecordingIndex
from recordings.config import load_recordings_config

log = logging.getLogger(__name__)

SANDBOX_STATE_FILE = "sandbox.json"


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
        if reconnect:
            self.m.reconnects.inc()


@dataclass
class App:
    settings: Settings
    root: Path
    metrics: Metrics = field(default_factory=Metrics)
    sessions: dict[str, CallSession] = field(default_factory=dict)
    healthy: bool = True
    switch: SandboxSwitch | None = None
    redis: LocalRedis | None = None
    redis_url: str | None = None
    http_url: str = ""
    _flows: FlowSet | None = None
    _closers: list[Callable[[], object]] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    # ------------------------------------------------------------------ start / stop

    @classmethod
    async def start(cls, settings: Settings, root: Path, *, clock: Clock | None = None) -> App:
        app = cls(settings=settings, root=root)
        try:
            await app._start(clock or Clock(speed=settings.sandbox.speed))
        except BaseException:
            await app.stop()
            raise
        return app

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.root / p

    async def _start(self, clock: Clock) -> None:
        s = self.settings
        self.clock = clock
        self._flows = self.load_flows()
        await self._start_store()
        await self._start_redis()
        self._open_queue_store()
        self._open_recordings()
        self.renderer = PromptRenderer(self.path(s.paths.tts_cache), s.tts.voices, s.tts.rate_wpm)
        self._closers.append(self.renderer.close)
        await self._start_http()
        ari_url, username, password = await self._start_switch()
        self.rest = AriRest(
            ari_url,
            username,
            password,
            timeout_s=s.ari.timeout_s,
            observer=_MetricsObserver(self.metrics),
        )
        self._closers.append(self.rest.close)
        self.dispatcher = Dispatcher(self._lane, on_overflow=self._overflow)
        self.handoff: QueueHandoff = await self._start_queueing(clock)
        self._closers.append(self.handoff.aclose)
        self.deps = SessionDeps(
            rest=self.rest,
            flows=self.flows,
            prompts=HttpPromptMedia(self.renderer, self.http_url),
            providers=AlertingProviders(self.providers, self.queue_store, clock),
            handoff=self.handoff,
            recorder=self.recorder,
            clock=clock,
            metrics=self.metrics,
            app_name=s.ari.app,
            keeper=RecordingKeeper(self.recordings, self.rest),
            bind=self.dispatcher.bind,
            speech=self._start_speech(ari_url),
        )
        self.events = AriEvents(
            ari_url,
            username,
            password,
            s.ari.app,
            on_connected=self._on_connected,
            observer=_MetricsObserver(self.metrics),
        )
        self._spawn(self._consume(), "ari-events")
        async with asyncio.timeout(10):
            await self.events.connected.wait()
        log.info("ARI application %s connected to %s", s.ari.app, ari_url)

    def _start_speech(self, ari_url: str) -> SpeechService | None:
        """Speech models and the recognizer pool (docs/asr.md). A configured model that is
        missing is logged now (`ModelRegistry.check`) and its language runs DTMF-only."""
        s = self.settings.asr
        if not s.models:
            return None
        registry = ModelRegistry({lang: self.path(p) for lang, p in s.models.items()})
        registry.check()
        service = SpeechService(
            registry,
            RecognizerPool(s.max_active),
            self.rest,
            app_name=self.settings.ari.app,
            media_base=media_base_url(ari_url),
            bind=self.dispatcher.bind,
        )
        self._closers.append(service.aclose)
        self._check_vocabulary_at_publish(registry)
        return service

    def _check_vocabulary_at_publish(self, registry: ModelRegistry) -> None:
        """Publish also refuses phrase words the configured speech models lack."""

        def check(flows: FlowSet, texts: Mapping[str, str]) -> list[FlowError]:
            try:
                return unknown_phrase_words(flows, registry, texts)
            except AsrError as exc:  # a broken model is reported at start-up already
                log.warning("speech vocabulary not checked: %s", exc)
                return []

        versions = getattr(self, "flow_versions", None)
        if versions is not None:
            versions.vocabulary_check = check

    async def _start_store(self) -> None:
        url = self.settings.database_url
        if url.startswith("sqlite") and ":///" in url and not url.endswith(":memory:"):
            db_path = Path(url.split(":///", 1)[1])
            self.path(db_path).parent.mkdir(parents=True, exist_ok=True)
            if not db_path.is_absolute():
                url = url.split(":///", 1)[0] + ":///" + str(self.path(db_path))
        self.store = await CallStore.open(url)
        self._closers.append(self.store.close)
        async with AsyncSession(self.store.engine) as db, db.begin():
            await seed_demo(db)
        calendar_file = self.path(self.settings.paths.config_dir) / "trading_calendar.yaml"
        calendar = load_trading_calendar(calendar_file) if calendar_file.is_file() else None
        self.providers = SqlDemoProviders(self.store.engine, now=self.clock.now, calendar=calendar)
        self.recorder = StoreRecorder(self.store)
        self.recorder.start()
        self._closers.append(self.recorder.aclose)

    async def _start_redis(self) -> None:
        if self.settings.redis_url:
            self.redis_url = self.settings.redis_url
            return
        self.redis = await start_local_redis(self.path(Path("var/redis")))
        self._closers.append(self.redis.stop)
        self.redis_url = self.redis.url

    def _open_queue_store(self) -> None:
        assert self.redis_url is not None
        config = load_queues(self.path(self.settings.paths.config_dir) / "queues.yaml")
        self.queue_store = RedisQueueStore.from_url(
            self.redis_url, config, day_zone=ZoneInfo(self.clock.timezone)
        )
        self._closers.append(self.queue_store.close)

    def _open_recordings(self) -> None:
        config_dir = self.path(self.settings.paths.config_dir)
        config = load_recordings_config(config_dir / "recordings.yaml")
        self.recordings = RecordingIndex(
            self.store.engine, self.path(self.settings.paths.recordings), config
        )

    async def _start_queueing(self, clock: Clock) -> QueueHandoff:
        handoff = RedisQueueHandoff(
            self.queue_store,
            self.rest,
            clock,
            app=self.settings.ari.app,
            bind=self.dispatcher.bind,
            unbind=self.dispatcher.unbind,
            outbound_dial=self.settings.calls.outbound_dial,
            prompts=HttpPromptMedia(self.renderer, self.http_url),
        )
        handoff.start()
        return handoff

    async def _start_http(self) -> None:
        s = self.settings
        web_app = web.Application()
        add_prompt_routes(
            web_app,
            tts_cache=self.path(s.paths.tts_cache),
            prompt_root=self.path(s.paths.prompt_root),
        )
        self.users = UserStore(self.store.engine)  # tables migrated by CallStore.open
        add_api_routes(web_app, ApiDeps(self.queue_store, self.store, self.users, self.clock))
        add_recording_routes(web_app, self.recordings)
        self.flow_versions = await add_flow_version_routes(
            web_app, self.store.engine, self.settings, self.root, self._closers
        )
        add_queue_routes(
            web_app,
            queue_admin_deps(self.root, s.paths.config_dir, self.queue_store, self.flow_versions),
        )
        add_pages(web_app, self.flow_versions)
        web_app.router.add_get("/healthz", self._healthz)
        web_app.router.add_get("/metrics", self._metrics)
        self.web_app = web_app
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, s.http.host, s.http.port)
        await site.start()
        self._closers.append(runner.cleanup)
        port = runner.addresses[0][1]
        self.http_url = s.http.public_base_url or f"http://{s.http.host}:{port}"

    async def _start_switch(self) -> tuple[str, str, str]:
        s = self.settings
        if s.ari.url is not None:
            if not s.ari.password:
                from ivr.errors import ConfigError

                raise ConfigError("IVR_ARI_URL is set but IVR_ARI_PASSWORD is not: set it")
            return s.ari.url, s.ari.username, s.ari.password
        password = s.ari.password or secrets.token_urlsafe(18)
        recordings = self.path(s.paths.recordings) / "sandbox"
        recordings.mkdir(parents=True, exist_ok=True)  # Asterisk answers a bare 500 without it
        config = SandboxConfig(
            username=s.ari.username,
            password=password,
            speed=s.sandbox.speed,
            recordings_dir=recordings,
            stasis_app=s.ari.app,
            endpoints={
                name: EndpointBehavior(
                    answer_after_s=e.answer_after_s or 0.0,
                    never_answer=e.never_answer,
                    busy=e.busy,
                )
                for name, e in s.sandbox.endpoints.items()
            },
        )
        self.switch = SandboxSwitch(config)
        await self.switch.start()
        self._closers.append(self.switch.stop)
        self._write_sandbox_state(self.switch.ari_url, s.ari.username, password)
        return self.switch.ari_url, s.ari.username, password

    def _write_sandbox_state(self, url: str, username: str, password: str) -> None:
        """For `ivr call`: where the running sandbox is (credentials in a 0600 file)."""
        state = self.path(Path("var")) / SANDBOX_STATE_FILE
        state.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(
                {
                    "ari_url": url,
                    "username": username,
                    "password": password,
                    "http_url": self.http_url,
                    "pid": os.getpid(),
                },
                f,
            )
        self._closers.append(lambda: state.unlink(missing_ok=True))

    async def stop(self) -> None:
        events = getattr(self, "events", None)
        if events is not None:
            await events.close()
        dispatcher = getattr(self, "dispatcher", None)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if dispatcher is not None:
            await dispatcher.aclose()
        for close in reversed(self._closers):
            try:
                result = close()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("error while stopping")
        self._closers.clear()

    # ------------------------------------------------------------------ flows

    def load_flows(self) -> FlowSet | None:
        """Load and fully validate the flow files: the seed of the flow versions. With errors,
        None and a warning: the stored live versions decide (`ivr.flowversions.service` refuses to
        start only if a flow without a stored version is broken)."""
        context = flow_context(self.settings, self.root)  # the one publish validates with
        try:
            return load_checked([self.path(self.settings.paths.flows_dir)], context)
        except ErrorList as exc:
            log.warning("flow files have errors; the stored live versions are used:\n%s", exc)
            return None

    def flows(self) -> FlowSet:
        """The live flow set (new calls take it once; a publish/rollback replaces it)."""
        versions: FlowVersions | None = getattr(self, "flow_versions", None)
        if versions is not None:
            return versions.live()
        assert self._flows is not None
        return self._flows

    # ------------------------------------------------------------------ events

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _consume(self) -> None:
        try:
            await self.events.run(self._on_event)
        except AriAppReplaced:
            self.healthy = False
            log.error("ARI app replaced by another process: no longer consuming events")
        except AriError as exc:
            self.healthy = False
            log.error("ARI events stopped: %s", exc)

    def _on_event(self, event: ari.AriEvent) -> None:
        key = self.dispatcher.dispatch(event)
        if key is None and isinstance(event, ari.StasisStart):
            self._open_call(event)

    def _open_call(self, event: ari.StasisStart) -> None:
        session = CallSession(self.deps, event.channel)
        key = session.key
        self.sessions[key] = session
        self.dispatcher.open_call(key)
        task = self._spawn(session.run(), f"call-{key}")
        task.add_done_callback(lambda _t: self._call_done(key))
        self.dispatcher.dispatch(event, key)

    def _call_done(self, key: str) -> None:
        self.sessions.pop(key, None)
        self.dispatcher.finish(key)

    async def _lane(self, key: str, event: ari.AriEvent) -> None:
        if isinstance(self.handoff, RedisQueueHandoff) and self.handoff.owns(event):
            await self.handoff.handle(event)
            return
        session = self.sessions.get(key)
        if session is not None:
            session.deliver(event)

    async def _overflow(self, key: str) -> None:
        session = self.sessions.get(key)
        if session is not None:
            session.channel_lost("overflow")

    async def _on_connected(self) -> None:
        if self.events.connections <= 1:
            return
        try:
            _alive, gone = await ari.resync(
                self.rest, self.settings.ari.app, [ari.ChannelId(k) for k in self.sessions]
            )
        except AriError as exc:
            log.error("resync failed: %s", exc)
            return
        for key in gone:
            session = self.sessions.get(key)
            if session is not None:
                session.channel_lost("lost")

    # ------------------------------------------------------------------ HTTP

    async def _healthz(self, request: web.Request) -> web.Response:
        body = {"status": "ok" if self.healthy else "unhealthy", "active_calls": len(self.sessions)}
        return web.json_response(body, status=200 if self.healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(), content_type="text/plain")


async def run_until_stopped(app: App, stop: asyncio.Event) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await stop.wait()
    await app.stop()
