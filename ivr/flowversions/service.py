"""Flow versions: immutable saved versions, one live version per flow, publish and rollback.

Roles: `check_texts` (pure: YAML texts in, `FlowSet` and located errors out), `FlowVersionStore`
(SQL: versions, live pointer, audit, generation) and `FlowVersions` (the service the app, the
CLI and the admin API share: validate, save, publish, rollback, diff, simulate, live reload).

Rules:
- A version is never changed. Publish and rollback validate the WHOLE live set with the
  candidate (queues, skills, calendar, prompt root: `flow_context`, the same `Context` as the
  app) and refuse with every error as `path:line:col: message`, the path being the flow's file
  name (`flows/<flow>.yaml`). The `flow:` field of a version must equal its flow name.
- Every live change (seed, publish, rollback) is one transaction: a compare-and-swap of the
  generation row, the live pointer, an audit row. A lost race re-validates and retries (bounded).
- The running app polls the generation every `poll_interval_s` and reloads; an in-process
  change installs at once. Calls hold the `FlowSet` they started with, so they finish on it.
- Seeding: each file of `flows/` whose flow has no version yet becomes version 1 (author
  `seed`), only if the resulting live set is valid (else `ErrorList`, nothing written).
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.engine.errors import FlowError
from ivr.engine.loader import ParsedFile, duplicate_names, parse_flow
from ivr.engine.model import FlowSet
from ivr.engine.validate import Context, validate
from ivr.errors import ErrorList, IvrError
from ivr.settings import Settings
from ivr.store.flowversions_model import (
    FlowAuditRow,
    FlowGenerationRow,
    FlowLiveRow,
    FlowVersionRow,
)

log = logging.getLogger(__name__)

SEED_AUTHOR: Final = "seed"
MAX_YAML_BYTES: Final = 512 * 1024
MAX_ATTEMPTS: Final = 5
POLL_INTERVAL_S: Final = 1.0
POLL_TIMEOUT_S: Final = 5.0


class FlowVersionError(IvrError):
    """A flow-version request cannot be done; the message says why and what to do."""


class VersionNotFound(FlowVersionError):
    def __init__(self, flow: str, number: int | None = None) -> None:
        what = f"flow '{flow}' has no version {number}" if number else f"no flow '{flow}'"
        super().__init__(f"{what} (see `ivr flows versions {flow}`)")
        self.flow, self.number = flow, number


class BadFlowRequest(FlowVersionError):
    """A bad flow name or a text too large to be a flow file."""


class AlreadyLive(FlowVersionError):
    """Publishing or rolling back to the version that is already live."""


class FlowRejected(ErrorList, FlowVersionError):
    """The candidate makes the live set invalid: every error, `path:line:col: message`."""


VocabularyCheck = Callable[[FlowSet, Mapping[str, str]], Sequence[FlowError]]


class StaleGeneration(FlowVersionError):
    """Another process changed the live set between our read and our write."""


# ---------------------------------------------------------------------- pure checks


def flow_context(settings: Settings, root: Path) -> Context:
    """The validation/run context of the app: queues, skills, calendar, prompt root."""
    from ivr.commands.flows import read_queues
    from ivr.engine.tradingcal import load_trading_calendar

    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else root / p

    config_dir = resolve(settings.paths.config_dir)
    queues, skills = read_queues(config_dir / "queues.yaml")
    calendar_file = config_dir / "trading_calendar.yaml"
    calendar = load_trading_calendar(calendar_file) if calendar_file.is_file() else None
    prompt_root = resolve(settings.paths.prompt_root)
    return Context(queues=queues, skills=skills, prompt_root=prompt_root, calendar=calendar)


def _name_errors(name: str, parsed: ParsedFile) -> list[FlowError]:
    if parsed.flow is None or parsed.flow.name == name:
        return []
    at = parsed.flow.marks.get("flow", parsed.flow.pos)
    message = f"'flow: {parsed.flow.name}' does not match the flow name '{name}' (use '{name}')"
    return [FlowError(message, path=parsed.path, line=at.line, column=at.column)]


def check_texts(
    texts: Mapping[str, str], ctx: Context, paths: Mapping[str, Path]
) -> tuple[FlowSet, list[FlowError]]:
    """Parse and fully validate flows given as YAML texts by flow name (`paths`: the file name
    each one's errors carry). Returns the usable flows and every error, in name order."""
    names = sorted(texts)
    parsed = [parse_flow(paths[n], texts[n].encode("utf-8")) for n in names]
    errors = [e for n, p in zip(names, parsed, strict=True) for e in p.errors + _name_errors(n, p)]
    errors += duplicate_names(parsed)
    calendar = DEFAULT_CALENDAR if ctx.calendar is None else ctx.calendar
    flows = FlowSet({p.flow.name: p.flow for p in parsed if p.flow is not None}, calendar)
    skip = {p.flow.name for p in parsed if p.flow is not None and (p.broken or p.errors)}
    errors.extend(validate(flows, ctx, skip_graph=skip))
    order = {str(p.path): i for i, p in enumerate(parsed)}
    errors.sort(key=lambda e: (order.get(str(e.path), len(order)), e.line, e.column))
    return flows, errors


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(flow: str, old: VersionText, new: VersionText) -> str:
    lines = difflib.unified_diff(
        old.yaml_text.splitlines(keepends=True),
        new.yaml_text.splitlines(keepends=True),
        fromfile=f"{flow}@{old.version.number}",
        tofile=f"{flow}@{new.version.number}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# ---------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class FlowVersion:
    flow: str
    number: int
    sha256: str
    author: str
    created_at: datetime
    comment: str


@dataclass(frozen=True, slots=True)
class VersionText:
    version: FlowVersion
    yaml_text: str


@dataclass(frozen=True, slots=True)
class FlowSummary:
    flow: str
    live: int | None
    latest: int
    versions: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str  # publish | rollback | seed
    flow: str
    from_version: int | None
    to_version: int
    comment: str


@dataclass(frozen=True, slots=True)
class LiveSet:
    """The live texts by flow, their version numbers, and the generation they were read at."""

    generation: int
    texts: Mapping[str, str]
    numbers: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class LiveChange:
    flow: str
    number: int
    action: str
    actor: str
    comment: str


def _version(row: FlowVersionRow) -> FlowVersion:
    return FlowVersion(row.flow, row.number, row.sha256, row.author, row.created_at, row.comment)


def _audit(row: FlowAuditRow) -> AuditEntry:
    return AuditEntry(
        row.id, row.at, row.actor, row.action, row.flow, row.from_version, row.to_version,
        row.comment,
    )  # fmt: skip


def _utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------- SQL store


class FlowVersionStore:
    """Versions, live pointers, audit and generation in SQL (tables migrated by `CallStore`)."""

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    async def generation(self) -> int:
        async with self._sessions() as session:
            value = await session.scalar(select(FlowGenerationRow.generation))
        return int(value or 0)

    async def live(self) -> LiveSet:
        query = select(FlowLiveRow.flow, FlowLiveRow.number, FlowVersionRow.yaml_text).join(
            FlowVersionRow,
            (FlowVersionRow.flow == FlowLiveRow.flow)
            & (FlowVersionRow.number == FlowLiveRow.number),
        )
        async with self._sessions() as session, session.begin():
            generation = await session.scalar(select(FlowGenerationRow.generation))
            rows = (await session.execute(query)).all()
        texts = {flow: text for flow, _n, text in rows}
        return LiveSet(int(generation or 0), texts, {flow: n for flow, n, _t in rows})

    async def summaries(self) -> list[FlowSummary]:
        query = (
            select(FlowVersionRow.flow, func.max(FlowVersionRow.number), func.count())
            .group_by(FlowVersionRow.flow)
            .order_by(FlowVersionRow.flow)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            live = dict((await session.execute(select(FlowLiveRow.flow, FlowLiveRow.number))).all())
        return [FlowSummary(flow, live.get(flow), int(top), int(n)) for flow, top, n in rows]

    async def versions(self, flow: str) -> list[FlowVersion]:
        """Every version of `flow`, oldest first (VersionNotFound when it has none)."""
        query = select(FlowVersionRow).where(FlowVersionRow.flow == flow)
        async with self._sessions() as session:
            rows = (await session.scalars(query.order_by(FlowVersionRow.number))).all()
        if not rows:
            raise VersionNotFound(flow)
        return [_version(r) for r in rows]

    async def version_text(self, flow: str, number: int) -> VersionText:
        query = select(FlowVersionRow).where(
            FlowVersionRow.flow == flow, FlowVersionRow.number == number
        )
        async with self._sessions() as session:
            row = await session.scalar(query)
        if row is None:
            raise VersionNotFound(flow, number)
        return VersionText(_version(row), row.yaml_text)

    async def audit(self, flow: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Audit rows, newest first."""
        query = select(FlowAuditRow).order_by(FlowAuditRow.id.desc()).limit(limit)
        if flow is not None:
            query = query.where(FlowAuditRow.flow == flow)
        async with self._sessions() as session:
            return [_audit(r) for r in (await session.scalars(query)).all()]

    async def save(self, flow: str, text: str, author: str, comment: str) -> FlowVersion:
        """Store `text` as the next version of `flow` (not live). Retries a numbering race."""
        for _ in range(MAX_ATTEMPTS):
            try:
                async with self._sessions.begin() as session:
                    return await self._insert_version(session, flow, text, author, comment)
            except SQLAlchemyError as exc:  # the (flow, number) unique key: another saver won
                last: Exception = exc
        raise FlowVersionError(f"cannot save a version of flow '{flow}': {last}")

    async def _insert_version(
        self, session: AsyncSession, flow: str, text: str, author: str, comment: str
    ) -> FlowVersion:
        top = await session.scalar(
            select(func.max(FlowVersionRow.number)).where(FlowVersionRow.flow == flow)
        )
        row = FlowVersionRow(
            flow=flow, number=int(top or 0) + 1, yaml_text=text, sha256=sha256_of(text),
            author=author, created_at=self._now(), comment=comment,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return _version(row)

    async def make_live(
        self, changes: Sequence[LiveChange], expected_generation: int
    ) -> list[AuditEntry]:
        """Apply live changes in one transaction if the generation is still `expected_generation`
        (else StaleGeneration, nothing written); one audit row each."""
        async with self._sessions.begin() as session:
            await self._bump(session, expected_generation)
            return [await self._apply(session, change) for change in changes]

    async def seed(self, texts: Mapping[str, str], expected_generation: int) -> list[AuditEntry]:
        """Versions 1 (author `seed`) of flows that have none, made live, in one transaction."""
        comment = "seeded from file"
        async with self._sessions.begin() as session:
            await self._bump(session, expected_generation)
            entries = []
            for flow, text in sorted(texts.items()):
                version = await self._insert_version(session, flow, text, SEED_AUTHOR, comment)
                change = LiveChange(flow, version.number, "seed", SEED_AUTHOR, comment)
                entries.append(await self._apply(session, change))
            return entries

    async def _bump(self, session: AsyncSession, expected_generation: int) -> None:
        """The compare-and-swap of the generation row (row-locking on PostgreSQL)."""
        bumped = await session.execute(
            update(FlowGenerationRow)
            .where(FlowGenerationRow.id == 1, FlowGenerationRow.generation == expected_generation)
            .values(generation=expected_generation + 1)
        )
        if getattr(bumped, "rowcount", 0) != 1:
            raise StaleGeneration("the live flows changed meanwhile")

    async def _apply(self, session: AsyncSession, change: LiveChange) -> AuditEntry:
        now = self._now()
        live = await session.get(FlowLiveRow, change.flow)
        before = None if live is None else live.number
        if live is None:
            session.add(FlowLiveRow(flow=change.flow, number=change.number, since=now))
        else:
            live.number, live.since = change.number, now
        row = FlowAuditRow(
            at=now, actor=change.actor, action=change.action, flow=change.flow,
            from_version=before, to_version=change.number, comment=change.comment,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return _audit(row)


# ---------------------------------------------------------------------- service


@dataclass(frozen=True, slots=True)
class Live:
    """What the app runs: the flow set, its version numbers, the generation it was read at."""

    flows: FlowSet
    numbers: Mapping[str, int]
    generation: int


class FlowVersions:
    """The flow-version service: one per process. `start()` seeds and loads the live set;
    `live()` is what new calls get; `poll()` (a task owned by `start_polling`) reloads it."""

    def __init__(
        self,
        store: FlowVersionStore,
        context: Context,
        flows_dir: Path,
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self.store = store
        self.context = context
        self.flows_dir = flows_dir  # as configured: error paths read `flows/<flow>.yaml`
        self.poll_interval_s = poll_interval_s
        self._live: Live | None = None
        self._failed_generation: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.reloads = 0
        # With speech models configured (`ivr.app`): phrase words the models lack, per flow.
        self.vocabulary_check: VocabularyCheck | None = None

    # ---- reading

    def live(self) -> FlowSet:
        assert self._live is not None, "FlowVersions.start() not awaited"
        return self._live.flows

    def live_numbers(self) -> Mapping[str, int]:
        return {} if self._live is None else self._live.numbers

    def path_of(self, flow: str) -> Path:
        return self.flows_dir / f"{flow}.yaml"

    def check(
        self, texts: Mapping[str, str], paths: Mapping[str, Path] | None = None
    ) -> tuple[FlowSet, list[FlowError]]:
        labels = {name: self.path_of(name) for name in texts} | dict(paths or {})
        return check_texts(texts, self.context, labels)

    async def check_candidate(
        self, flow: str, text: str, path: Path | None = None
    ) -> tuple[FlowSet, list[FlowError]]:
        """Validate `text` as flow `flow` together with the other live flows."""
        check_name(flow)
        check_size(text)
        live = await self.store.live()
        flows, errors = self.check({**live.texts, flow: text}, {flow: path} if path else None)
        if not errors and self.vocabulary_check is not None:  # speech models configured
            errors = list(await asyncio.to_thread(self.vocabulary_check, flows, {flow: text}))
        return flows, errors

    # ---- start, seed, reload

    async def start(self, seed_dir: Path | None) -> FlowSet:
        """Seed missing flows from `seed_dir` (`*.yaml`), then load the live set (ErrorList if it
        is invalid: the app must not start on it)."""
        if seed_dir is not None:
            await self.seed_from(seed_dir)
        live = await self.store.live()
        flows, errors = self.check(live.texts)
        if errors:
            raise ErrorList(list(errors))
        self._install(Live(flows, live.numbers, live.generation))
        return flows

    async def seed_from(self, seed_dir: Path, skip: frozenset[str] = frozenset()) -> None:
        """Version 1 of each flow file whose flow has no version (except `skip`)."""
        for _ in range(MAX_ATTEMPTS):
            live = await self.store.live()
            known = {s.flow for s in await self.store.summaries()}
            seeds = self._seed_texts(seed_dir, known | skip)
            if not seeds:
                return
            await self._seed(live, seeds)

    def _seed_texts(self, seed_dir: Path, known: set[str]) -> dict[str, str]:
        files = sorted(p for p in seed_dir.iterdir() if p.suffix in (".yaml", ".yml"))
        texts = {}
        for path in files:
            if path.stem not in known:
                texts[path.stem] = path.read_text(encoding="utf-8")
        return texts

    async def _seed(self, live: LiveSet, seeds: dict[str, str]) -> None:
        paths = {name: self.flows_dir / f"{name}.yaml" for name in seeds}
        _flows, errors = self.check({**live.texts, **seeds}, paths)
        if errors:
            raise ErrorList(list(errors))
        with contextlib.suppress(StaleGeneration):
            entries = await self.store.seed(seeds, live.generation)
            log.info("flows seeded from files: %s", ", ".join(e.flow for e in entries))

    def _install(self, live: Live) -> None:
        self._live = live
        self.reloads += 1

    async def refresh(self) -> bool:
        """Reload the live set if another process changed it; True when reloaded."""
        generation = await self.store.generation()
        current = self._live.generation if self._live else None
        if generation in (current, self._failed_generation):
            return False
        live = await self.store.live()
        if current is not None and live.generation <= current:
            return False  # an in-process change installed it (or a newer one) meanwhile
        flows, errors = self.check(live.texts)
        if errors:
            self._failed_generation = live.generation
            log.error("live flows of generation %d are invalid; keeping generation %s:\n%s",
                      live.generation, current, "\n".join(map(str, errors)))  # fmt: skip
            return False
        self._install(Live(flows, live.numbers, live.generation))
        log.info("live flows reloaded generation=%d versions=%s", live.generation,
                 dict(sorted(live.numbers.items())))  # fmt: skip
        return True

    async def poll(self) -> None:
        """Poll the generation forever (every `poll_interval_s`, each poll bounded)."""
        while True:
            await asyncio.sleep(self.poll_interval_s)
            try:
                async with asyncio.timeout(POLL_TIMEOUT_S):
                    await self.refresh()
            except (TimeoutError, SQLAlchemyError, OSError) as exc:
                log.warning("flow versions poll failed: %s", type(exc).__name__)
            except Exception:  # keep polling: the next poll may succeed
                log.exception("flow versions poll failed")

    def start_polling(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.poll(), name="flow-versions-poll")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ---- changing

    async def save(self, flow: str, text: str, author: str, comment: str = "") -> FlowVersion:
        """A new (not live) version; any text that is a flow file's size is accepted."""
        check_name(flow)
        check_size(text)
        return await self.store.save(flow, text, author, comment)

    async def publish_text(
        self, flow: str, text: str, author: str, comment: str = "", path: Path | None = None
    ) -> tuple[FlowVersion, AuditEntry]:
        """Validate, save as a new version and make it live (FlowRejected: nothing saved)."""
        _flows, errors = await self.check_candidate(flow, text, path)
        if errors:
            raise FlowRejected(list(errors))
        await self._refuse_same_as_live(flow, text)
        version = await self.save(flow, text, author, comment)
        return version, await self.publish(flow, version.number, author, comment)

    async def _refuse_same_as_live(self, flow: str, text: str) -> None:
        number = (await self.store.live()).numbers.get(flow)
        if number is None:
            return
        live = await self.store.version_text(flow, number)
        if live.version.sha256 == sha256_of(text):
            raise AlreadyLive(f"version {number} of flow '{flow}' has this text and is live")

    async def publish(self, flow: str, number: int, actor: str, comment: str = "") -> AuditEntry:
        return await self._make_live(LiveChange(flow, number, "publish", actor, comment))

    async def rollback(self, flow: str, number: int, actor: str, comment: str = "") -> AuditEntry:
        return await self._make_live(LiveChange(flow, number, "rollback", actor, comment))

    async def _make_live(self, change: LiveChange) -> AuditEntry:
        candidate = await self.store.version_text(change.flow, change.number)
        for _ in range(MAX_ATTEMPTS):
            live = await self.store.live()
            if live.numbers.get(change.flow) == change.number:
                raise AlreadyLive(
                    f"version {change.number} of flow '{change.flow}' is already live"
                )
            texts = {**live.texts, change.flow: candidate.yaml_text}
            flows, errors = self.check(texts)
            if errors:
                raise FlowRejected(list(errors))
            try:
                (entry,) = await self.store.make_live([change], live.generation)
            except StaleGeneration:
                continue
            numbers = {**live.numbers, change.flow: change.number}
            self._install(Live(flows, numbers, live.generation + 1))
            log.info("flow %s: %s version %s -> %d by %s", change.flow, change.action,
                     entry.from_version, change.number, change.actor)  # fmt: skip
            return entry
        raise FlowVersionError("the live flows kept changing meanwhile; try again")

    # ---- comparing and trying

    async def diff(self, flow: str, old: int, new: int) -> str:
        a = await self.store.version_text(flow, old)
        b = await self.store.version_text(flow, new)
        return unified_diff(flow, a, b)


def check_name(flow: str) -> None:
    if not flow or len(flow) > 128 or not all(c.isalnum() or c in "_-" for c in flow):
        raise BadFlowRequest(
            f"flow name {flow!r} is not valid: use letters, digits, '_' or '-' (the file stem)"
        )


def check_size(text: str) -> None:
    size = len(text.encode("utf-8"))
    if size > MAX_YAML_BYTES:
        raise BadFlowRequest(f"the flow is too large ({size} bytes; the limit is {MAX_YAML_BYTES})")


async def start_flow_versions(
    engine: AsyncEngine,
    settings: Settings,
    root: Path,
    closers: list[Callable[[], object]],
    *,
    poll_interval_s: float = POLL_INTERVAL_S,
) -> FlowVersions:
    """The app's service: seeded from `settings.paths.flows_dir`, live set loaded, polling
    (its `aclose` appended to `closers`)."""
    flows_dir = settings.paths.flows_dir
    seed_dir = flows_dir if flows_dir.is_absolute() else root / flows_dir
    service = FlowVersions(
        FlowVersionStore(engine), flow_context(settings, root), flows_dir,
        poll_interval_s=poll_interval_s,
    )  # fmt: skip
    await service.start(seed_dir if seed_dir.is_dir() else None)
    service.start_polling()
    closers.append(service.aclose)
    return service
