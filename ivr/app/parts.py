"""The parts of the app's wiring (`ivr.app`): the SQL side (call records, demo back office,
users, recording index), the staff web app, the ARI switch (embedded sandbox or a real
Asterisk), speech, the metrics observer of the ARI client, and the stop list.

Rules: each function builds one part from its arguments and registers how to stop it with
`Closers`; nothing here reads the environment.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from asr.errors import AsrError
from asr.intent import Thresholds
from asr.models import ModelRegistry
from asr.recognizer import FREEFORM_PASSES, RecognizerPool
from ivr.ari import AriObserver, AriRest, Dispatcher
from ivr.call.followup_call import PURPOSE as CALLBACK_PURPOSE
from ivr.call.records import CallRecordWriter
from ivr.call.router import CallRouter
from ivr.call.speech import Guard, SpeechService, media_base_url, unknown_phrase_words
from ivr.clock import Clock
from ivr.engine.errors import FlowError
from ivr.engine.model import FlowSet
from ivr.engine.tradingcal import load_trading_calendar
from ivr.errors import ConfigError
from ivr.flowversions.service import FlowVersions, VocabularyCheck
from ivr.metrics import Metrics
from ivr.outbound.boot import wall_clock
from ivr.prompts.private import PrivatePrompts
from ivr.providers.demo_data import seed_demo
from ivr.providers.sql import SqlDemoProviders
from ivr.queue.consult_shell import Transfers
from ivr.queue.control import CallControl
from ivr.queue.monitor import CallEvents, Monitor
from ivr.queue.runtime import RedisQueueHandoff
from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch
from ivr.settings import Settings
from ivr.store import CallStore
from ivr.store.control_audit import ControlAuditStore
from ivr.store.engine import database_url_in
from ivr.store.outbound import OutboundStore
from ivr.store.pinlocks import PinLockStore, PinPolicy
from ivr.store.surveys import SurveyStore
from ivr.store.users import UserStore
from ivr.web.api import ApiDeps, add_api_routes
from ivr.web.api_campaigns import add_campaign_routes
from ivr.web.api_control import CONTROL_SLOT, add_control_routes
from ivr.web.api_flows import register_flow_routes
from ivr.web.api_queues import add_queue_routes, queue_admin_deps
from ivr.web.api_recordings import add_recording_routes
from ivr.web.api_reports import SystemTime, report_deps
from ivr.web.api_surveys import add_survey_routes
from ivr.web.pages import add_pages
from ivr.web.prompts import PRIVATE_PROMPTS, add_prompt_routes
from queueing.store import RedisQueueStore
from recordings import RecordingIndex
from recordings.config import load_recordings_config

log = logging.getLogger(__name__)


class MetricsObserver(AriObserver):
    def __init__(self, metrics: Metrics) -> None:
        self.m = metrics
        self._events: dict[str, Counter] = {}

    def request_done(self, method: str, route: str, status: int | None, elapsed_s: float) -> None:
        self.m.ari_request_latency.observe(elapsed_s)

    def request_failed(self, method: str, route: str, error: str) -> None:
        self.m.ari_errors.labels(error).inc()

    def event_received(self, event_type: str) -> None:
        counter = self._events.get(event_type)
        if counter is None:  # labels() checks its arguments: once per event type
            counter = self._events[event_type] = self.m.events_total.labels(event_type)
        counter.inc()

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
class SqlParts:
    store: CallStore
    providers: SqlDemoProviders
    call_records: CallRecordWriter
    users: UserStore
    recordings: RecordingIndex


async def open_sql(s: Settings, root: Path, clock: Clock, m: Metrics, closers: Closers) -> SqlParts:
    """The call records (migrated), the demo back office (seeded), users, recording index."""
    config_dir = under(root, s.paths.config_dir)
    store = await CallStore.open(database_url_in(s.database_url, root))
    closers.add(store.close)
    async with AsyncSession(store.engine) as db, db.begin():
        await seed_demo(db)
    calendar_file = config_dir / "trading_calendar.yaml"
    calendar = load_trading_calendar(calendar_file) if calendar_file.is_file() else None
    locks = PinLockStore(store.engine, PinPolicy.of(s.security), clock.now_s)  # docs/security.md
    providers = SqlDemoProviders(
        store.engine, now=clock.now, calendar=calendar, metrics=m, pin_locks=locks
    )
    journal = under(root, s.paths.journal) / "calls.jsonl"
    call_records = CallRecordWriter(store, journal, s.calls.record_buffer, metrics=m)
    call_records.start()  # replays what a previous run left in the journal
    closers.add(call_records.aclose)
    users = UserStore(store.engine)  # tables migrated by CallStore.open
    recordings_config = load_recordings_config(config_dir / "recordings.yaml")
    check_recorded_purposes(
        s.calls.recorded_flows, recordings_config.policy.rules, config_dir / "recordings.yaml"
    )
    recordings = RecordingIndex(store.engine, under(root, s.paths.recordings), recordings_config)
    return SqlParts(store, providers, call_records, users, recordings)


def check_recorded_purposes(
    recorded_flows: Mapping[str, str], kept: Mapping[str, object], path: Path
) -> None:
    """Every purpose a whole call is recorded for (`calls.recorded_flows`, the callbacks'
    `callback`) has a retention in `recordings.yaml`: otherwise each such call would find out
    alone, at answer, that its recording cannot be opened."""
    needed = {f"calls.recorded_flows.{flow}": purpose for flow, purpose in recorded_flows.items()}
    needed["recorded callbacks (docs/followups.md)"] = CALLBACK_PURPOSE
    for where, purpose in sorted(needed.items()):
        if purpose not in kept:
            raise ConfigError(
                f"{where}: recording purpose '{purpose}' has no retention in {path} "
                f"(it keeps: {', '.join(sorted(kept))}): add it under 'retention:' or use one "
                "of those"
            )


def build_web_app(
    settings: Settings,
    root: Path,
    sql: SqlParts,
    flow_versions: FlowVersions,
    queue_store: RedisQueueStore,
    clock: Clock,
) -> web.Application:
    """Prompts for Asterisk, the staff API (calls, queues, recordings, flows) and pages."""
    paths = settings.paths
    app = web.Application()
    tts_cache, prompt_root = under(root, paths.tts_cache), under(root, paths.prompt_root)
    private = app[PRIVATE_PROMPTS] = PrivatePrompts(settings.security.prompt_secret)
    add_prompt_routes(app, tts_cache=tts_cache, prompt_root=prompt_root, private=private)
    add_api_routes(app, ApiDeps.configured(settings, queue_store, sql.store, sql.users, clock))
    add_control_routes(app, queue_store)
    report_deps(app, sql.store, queue_store, SystemTime(), under(root, paths.config_dir))
    add_recording_routes(app, sql.recordings)
    register_flow_routes(app, flow_versions)
    add_queue_routes(app, queue_admin_deps(root, paths.config_dir, queue_store, flow_versions))
    add_campaign_routes(app, OutboundStore(sql.store.engine), wall_clock(clock))
    add_survey_routes(app, SurveyStore(sql.store.engine), clock.now)
    add_pages(app, flow_versions)
    return app


def under(root: Path, p: Path) -> Path:
    return p if p.is_absolute() else root / p


async def start_switch(
    settings: Settings, root: Path, closers: Closers
) -> tuple[SandboxSwitch | None, tuple[str, str, str]]:
    """The ARI to use: (the embedded switch or None, (url, username, password))."""
    s = settings
    if s.ari.url is not None:
        if not s.ari.password:
            raise ConfigError("IVR_ARI_URL is set but IVR_ARI_PASSWORD is not: set it")
        return None, (s.ari.url, s.ari.username, s.ari.password)
    password = s.ari.password or secrets.token_urlsafe(18)
    recordings = under(root, s.paths.recordings) / "sandbox"
    # Asterisk answers a bare 500 without it (docs/asterisk-behaviour.md, "Calls and events")
    recordings.mkdir(parents=True, exist_ok=True)
    config = SandboxConfig(
        username=s.ari.username,
        password=password,
        speed=s.sandbox.speed,
        recordings_dir=recordings,
        stasis_app=s.ari.app,
        http_session_limit=100,  # as Asterisk's default: the app must stay below it
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


def speech_models(settings: Settings, root: Path) -> ModelRegistry | None:
    """The configured speech models (docs/asr.md). A configured model that is missing is
    logged now (`ModelRegistry.check`) and its language runs DTMF-only."""
    if not settings.asr.models:
        return None
    registry = ModelRegistry({lang: under(root, p) for lang, p in settings.asr.models.items()})
    registry.check()
    return registry


def vocabulary_check(registry: ModelRegistry | None) -> VocabularyCheck | None:
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


def speech_service(
    registry: ModelRegistry | None, rest: AriRest, dispatcher: Dispatcher, settings: Settings,
    ari_url: str, closers: Closers,
) -> SpeechService | None:  # fmt: skip
    if registry is None:
        return None
    asr = settings.asr
    thresholds = Thresholds(
        min_margin_per_s=asr.min_margin_per_s, clipped_margin_per_s=asr.clipped_margin_per_s
    )
    mode = next(m for m in FREEFORM_PASSES if m == asr.freeform_pass)  # checked by settings
    guard = Guard(mode, thresholds, asr.lead_ms)
    service = SpeechService(
        registry, RecognizerPool(asr.max_active), rest, app_name=settings.ari.app,
        media_base=media_base_url(ari_url), bind=dispatcher.bind, guard=guard,
    )  # fmt: skip
    closers.add(service.aclose)
    return service


def start_call_control(
    web_app: web.Application,
    handoff: RedisQueueHandoff,
    rest: AriRest,
    settings: Settings,
    router: CallRouter,
    engine: AsyncEngine,
    clock: Clock,
) -> CallEvents:
    """Build call control, monitoring and transfers to a person, attach them to the routes'
    slot (`ivr.web.api_control`); the result takes the queue's share of each call's events,
    monitoring legs first (give it to the router)."""
    slot = web_app[CONTROL_SLOT]
    dispatcher = router.dispatcher
    audit = ControlAuditStore(engine)
    control = CallControl(handoff, rest, handoff.store, audit, clock)
    monitor = Monitor(
        control, rest, audit, app=settings.ari.app, bind=dispatcher.bind,
        unbind=dispatcher.unbind, visible_to_agent=settings.calls.monitor_visible,
    )  # fmt: skip
    slot.attach(control, monitor, audit)
    slot.transfers = Transfers(
        control, handoff, rest, audit, clock, app=settings.ari.app,
        outbound_dial=settings.calls.outbound_dial, bind=dispatcher.bind, unbind=dispatcher.unbind,
    )  # fmt: skip
    router.closed.extend([monitor.lane_closed, slot.transfers.lane_closed])
    return CallEvents(handoff, monitor, slot.transfers)
