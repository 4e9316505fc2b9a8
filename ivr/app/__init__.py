"""Wiring: settings in, a running ARI application out.

`App.start(settings, root)` builds one `Services` object, each part from the parts built
before it: the call records in SQL (+ demo back office, staff users, recording index), the TTS
renderer, the flow versions, Redis and the queue store, the ARI switch (the embedded sandbox
switch when no ARI URL is configured) and client, the call router, the follow-ups (items and
agent-first callbacks), the HTTP server (prompts, staff API and pages, /healthz, /metrics), the
queue hand-off, speech recognition, the events websocket and the instance's ownership and
recovery (leftovers adopted or reclaimed at the first connection), then the calls start; last
the outbound dialer (it needs the websocket connected). The router's late ports (`followups`,
`outbound`) and `SessionDeps.outbound` are set here as those parts are built. `app.stop()`
stops them in reverse order.

Rules:
- Nothing below this module reads the environment; relative paths of the settings are
  relative to `root`. With no Redis URL configured a local redis-server is started.
- A part is built once, from its arguments, and never replaced: `App` only holds `Services`.
- Stopping is bounded and complete: every part built is stopped, a failing stop is logged and
  the others still run. A start that fails stops what it had built and raises.
- The room (`ivr/app/`: this module and `parts`) sits under the CLI and the commands and above
  every other room: it may import any room, and no room imports it (only `ivr.cli` and
  `ivr.commands`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from ivr.app.parts import (
    Closers,
    MetricsObserver,
    build_web_app,
    open_sql,
    speech_models,
    speech_service,
    start_call_control,
    start_switch,
    under,
    vocabulary_check,
)
from ivr.ari import AriEvents, AriRest, Dispatcher
from ivr.call.admission import Admission
from ivr.call.adoption import Adoption
from ivr.call.deps import SessionDeps
from ivr.call.followup_call import FollowupCalls
from ivr.call.media import HttpPromptMedia
from ivr.call.recording import RecordingKeeper
from ivr.call.records import CallRecordWriter
from ivr.call.router import CallRouter
from ivr.call.session import CallSession
from ivr.call.speech import SpeechService
from ivr.clock import Clock
from ivr.engine.model import FlowSet
from ivr.flowversions.service import FlowVersions, start_flow_versions
from ivr.followups.boot import Followups, start_followups
from ivr.followups.unconfirmed import FollowupEscalation
from ivr.metrics import Metrics
from ivr.outbound.boot import OutboundDialer, start_dialer
from ivr.outbound.escalation import AlertEscalation
from ivr.prompts.prerender import prerender
from ivr.prompts.tts import PromptRenderer
from ivr.providers.sql import SqlDemoProviders
from ivr.queue.alerts import AlertingProviders, supervisor_alerts
from ivr.queue.boot import start_queue_store
from ivr.queue.local_redis import LocalRedis
from ivr.queue.recovery import Recovery
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox import SandboxSwitch
from ivr.settings import Settings
from ivr.store import CallStore
from ivr.store.surveys import SurveyStore
from ivr.store.users import UserStore
from ivr.web.api_followups import FollowupApiDeps, add_followup_routes
from ivr.web.prompts import PRIVATE_PROMPTS
from ivr.web.server import Health, WebServer, add_health_routes
from queueing.store import RedisQueueStore
from recordings import RecordingIndex

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


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
    renderer: PromptRenderer
    flow_versions: FlowVersions
    redis: LocalRedis | None  # None: `settings.redis_url` names the Redis in use
    queue_store: RedisQueueStore
    switch: SandboxSwitch | None  # None: a real Asterisk at `settings.ari.url`
    rest: AriRest
    router: CallRouter
    followups: Followups
    http: WebServer
    handoff: RedisQueueHandoff
    speech: SpeechService | None  # None: no speech models, every menu is DTMF-only
    deps: SessionDeps
    events: AriEvents
    recovery: Recovery
    dialer: OutboundDialer | None  # None: `dialer.enabled` is false


async def build_services(
    settings: Settings, root: Path, clock: Clock, closers: Closers
) -> Services:
    """Build and start every part, in dependency order; each one's stop is added to `closers`."""
    s, metrics = settings, Metrics()
    sql = await open_sql(settings, root, clock, metrics, closers)
    models = speech_models(settings, root)
    renderer = PromptRenderer(under(root, s.paths.tts_cache), s.tts.voices, s.tts.rate_wpm)
    closers.add(renderer.close)

    async def prepare(flows: FlowSet) -> None:  # static prompts ready before flows go live
        await prerender(renderer, flows)

    flow_versions = await start_flow_versions(
        sql.store.engine, s, root, vocabulary_check=vocabulary_check(models), prepare=prepare
    )
    closers.add(flow_versions.aclose)
    queue = await start_queue_store(settings, root, clock.timezone, metrics, closers.add)
    redis, queue_store, redis_health = queue.redis, queue.store, queue.health
    switch, (ari_url, username, password) = await start_switch(settings, root, closers)
    observer = MetricsObserver(metrics)
    rest = AriRest(ari_url, username, password, timeout_s=s.ari.timeout_s, observer=observer,
        max_connections=s.ari.max_connections, keepalive_s=s.ari.keepalive_s)  # fmt: skip
    closers.add(rest.close)
    router = CallRouter(rest, s.ari.app)
    pin_alerts = AlertingProviders(sql.providers, queue_store, clock)  # pin_locked alerts
    fu = start_followups(sql.store.engine, under(root, s.paths.config_dir), inner=pin_alerts,
        calendar=sql.providers.calendar, clock=clock, alert=supervisor_alerts(queue_store, clock),
        sessions=router.sessions, recordings=sql.recordings, add_closer=closers.add)  # fmt: skip
    calls = FollowupCalls(fu.store, rest, clock, queue_store, app=s.ari.app,
        outbound_dial=s.calls.outbound_dial, bind=router.dispatcher.bind,
        open_lane=router.dispatcher.open_call, close_lane=router.dispatcher.finish,
        keeper=RecordingKeeper(sql.recordings, rest), alert=fu.promises.alert,
        recorded_kinds=fu.promises.policy.recorded_kinds(),
        incident=metrics.recording_incident)  # fmt: skip
    router.followups = calls
    closers.add(calls.aclose)
    web_app = build_web_app(settings, root, sql, flow_versions, queue_store, clock)
    add_followup_routes(web_app, FollowupApiDeps(fu.store, sql.recordings, calls.call))
    add_health_routes(web_app, lambda: Health(len(router.sessions), failing()), metrics)
    http = await WebServer.start(web_app, s.http.host, s.http.port, s.http.public_base_url)
    closers.add(http.aclose)
    prompts = HttpPromptMedia(renderer, http.url, web_app[PRIVATE_PROMPTS])
    handoff = RedisQueueHandoff(
        queue_store, rest, clock, app=s.ari.app, bind=router.dispatcher.bind,
        unbind=router.dispatcher.unbind, outbound_dial=s.calls.outbound_dial, prompts=prompts,
        released=router.queue_released, desk_dial=s.calls.desk_fallback_dial, booked=fu.booked,
        callback_stage=fu.callback_stage,
    )  # fmt: skip
    handoff.start()
    closers.add(handoff.aclose)
    speech = speech_service(models, rest, router.dispatcher, settings, ari_url, closers)
    admission = Admission(s.calls.setup_concurrency)
    metrics.calls_ringing.set_function(lambda: admission.waiting)
    deps = SessionDeps(
        rest=rest, flows=flow_versions.live, prompts=prompts, providers=fu.providers,
        handoff=handoff, records=sql.call_records, clock=clock, metrics=metrics, app_name=s.ari.app,
        default_flow=s.calls.default_flow, recorded_flows=s.calls.recorded_flows,
        survey_flow=s.calls.survey_flow, transfer_context=s.calls.transfer_context,
        keeper=RecordingKeeper(sql.recordings, rest), bind=router.dispatcher.bind, speech=speech,
        alert=supervisor_alerts(queue_store, clock), unverified=s.security.unverified_emergency,
        surveys=SurveyStore(sql.store.engine), admission=admission,
    )  # fmt: skip
    events = AriEvents(ari_url, username, password, s.ari.app,
        on_connected=router.on_connected, observer=observer)  # fmt: skip
    adoption = Adoption(router, handoff, sql.call_records, rest, clock, app=s.ari.app)
    closers.add(adoption.aclose)  # after the recovery's stop: no reclaim starts a seal then
    recovery = Recovery(queue_store, rest, clock, instance=s.ari.app, holds=router.holds,
        close_lost=adoption.lost, adopt=adoption.adopt)  # fmt: skip  # one app name, one owner
    await recovery.start()  # own leftovers: adopted or reclaimed at the first connection
    router.connected.append(recovery.connected)
    router.opened.append(recovery.own)
    router.closed.append(recovery.disown)
    control = start_call_control(web_app, handoff, rest, s, router, sql.store.engine, clock)
    router.start(events, deps, control)
    closers.add(recovery.aclose)
    closers.add(router.aclose)  # stopped before the parts the calls use
    closers.add(events.close)

    records = sql.call_records

    def failing() -> tuple[str, ...]:  # /healthz and `ivr_dependency_up`
        ari_up = router.healthy and events.connected.is_set()
        metrics.dependency("ari", ari_up)
        ups = (("redis", redis_health.up), ("ari", ari_up), ("database", records.database_up))
        return tuple(n for n, up in ups if not up)

    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        await events.connected.wait()
    log.info("ARI application %s connected to %s", s.ari.app, ari_url)
    escalation = FollowupEscalation(
        fu.promises, AlertEscalation(deps.alert).escalate
    )  # unconfirmed
    dialer = await start_dialer(
        s, root, sql.store.engine, rest, clock, deps.alert, closers.add, escalation
    )
    deps.outbound = router.outbound = dialer
    return Services(
        clock=clock, metrics=metrics, store=sql.store, providers=sql.providers,
        call_records=sql.call_records, users=sql.users, recordings=sql.recordings,
        flow_versions=flow_versions, redis=redis, queue_store=queue_store, renderer=renderer,
        switch=switch, rest=rest, router=router, http=http, handoff=handoff, recovery=recovery,
        speech=speech, deps=deps, events=events, dialer=dialer, followups=fu,
    )  # fmt: skip


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
