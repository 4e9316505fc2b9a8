"""Flow versions: immutable saved versions, one live version per flow, publish and rollback.

`FlowVersions` is the service the app, the CLI and the admin API share: validate, save,
publish, rollback, diff, live reload. It decides; `ivr.store.flowversions.FlowVersionStore`
(SQL) stores, and `ivr.flowversions.check` (pure) validates.

Rules:
- A version is never changed. Publish and rollback validate the WHOLE live set with the
  candidate (queues, skills, calendar, prompt root: `flow_context`, the same `Context` as the
  app) and refuse with every error as `path:line:col: message`, the path being the flow's file
  name (`flows/<flow>.yaml`). The `flow:` field of a version must equal its flow name.
- Every live change (seed, publish, rollback) is one store transaction (a compare-and-swap of
  the generation). A lost race re-validates and retries (bounded).
- The running app polls the generation every `poll_interval_s` and reloads; an in-process
  change installs at once. Calls hold the `FlowSet` they started with, so they finish on it.
- Seeding: each file of `flows/` whose flow has no version yet becomes version 1 (author
  `seed`), only if the resulting live set is valid (else `ErrorList`, nothing written).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.engine.errors import FlowError
from ivr.engine.model import FlowSet
from ivr.engine.validate import Context, check_files
from ivr.errors import ErrorList
from ivr.flowversions.check import check_texts, unified_diff
from ivr.flowversions.context import flow_context
from ivr.outage import Outage
from ivr.settings import Settings
from ivr.store.flowversions import (
    MAX_ATTEMPTS,
    AuditEntry,
    FlowVersion,
    FlowVersionStore,
    LiveChange,
    LiveSet,
    StaleGeneration,
    sha256_of,
)
from ivr.store.flowversions import FlowVersionError as FlowVersionError
from ivr.store.flowversions import VersionNotFound as VersionNotFound

log = logging.getLogger(__name__)

MAX_YAML_BYTES: Final = 512 * 1024
POLL_INTERVAL_S: Final = 1.0
POLL_TIMEOUT_S: Final = 5.0


class BadFlowRequest(FlowVersionError):
    """A bad flow name or a text too large to be a flow file."""


class AlreadyLive(FlowVersionError):
    """Publishing or rolling back to the version that is already live."""


class FlowRejected(ErrorList, FlowVersionError):
    """The candidate makes the live set invalid: every error, `path:line:col: message`."""


# With speech models configured: the phrase words of the given flows the models lack.
VocabularyCheck = Callable[[FlowSet, Mapping[str, str]], Sequence[FlowError]]


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
        vocabulary_check: VocabularyCheck | None = None,
    ) -> None:
        self.store = store
        self.context = context
        self.flows_dir = flows_dir  # as configured: error paths read `flows/<flow>.yaml`
        self.poll_interval_s = poll_interval_s
        self._live: Live | None = None
        self._failed_generation: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.vocabulary_check = vocabulary_check  # publish also refuses words ASR lacks
        # called with a flow set before it goes live (at start, publish, rollback and reload):
        # the app renders its static prompts then, so no caller waits for the voice
        self.prepare: Callable[[FlowSet], Awaitable[None]] | None = None

    # ---- reading

    def live(self) -> FlowSet:
        assert self._live is not None, "FlowVersions.start() not awaited"
        return self._live.flows

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
        await self._prepare(flows)
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

    async def _prepare(self, flows: FlowSet) -> None:
        if self.prepare is not None:
            await self.prepare(flows)

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
        await self._prepare(flows)
        self._install(Live(flows, live.numbers, live.generation))
        log.info("live flows reloaded generation=%d versions=%s", live.generation,
                 dict(sorted(live.numbers.items())))  # fmt: skip
        return True

    async def poll(self) -> None:
        """Poll the generation until `aclose` (every `poll_interval_s`, each poll bounded). An
        outage of the database is logged once each way and the pause grows (`ivr.outage`)."""
        outage = Outage("flow versions poll")
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):  # a swallowed cancel: `_stopping` ends it
                async with asyncio.timeout(outage.pause_s(self.poll_interval_s)):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            try:
                async with asyncio.timeout(POLL_TIMEOUT_S):
                    await self.refresh()
                outage.ok()
            except (TimeoutError, SQLAlchemyError, OSError) as exc:
                outage.failed(exc)
            except Exception:  # keep polling: the next poll may succeed
                log.exception("flow versions poll failed")

    def start_polling(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.poll(), name="flow-versions-poll")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        self._stopping.set()
        if task is not None:
            done, _ = await asyncio.wait({task}, timeout=POLL_TIMEOUT_S + 1.0)
            if not done:  # a refresh stuck past its own bound
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)

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
            await self._prepare(flows)  # its prompts are ready before it is live anywhere
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
        return unified_diff(flow, (old, a.yaml_text), (new, b.yaml_text))


def check_name(flow: str) -> None:
    if not flow or len(flow) > 128 or not all(c.isalnum() or c in "_-" for c in flow):
        raise BadFlowRequest(
            f"flow name {flow!r} is not valid: use letters, digits, '_' or '-' (the file stem)"
        )


def check_size(text: str) -> None:
    size = len(text.encode("utf-8"))
    if size > MAX_YAML_BYTES:
        raise BadFlowRequest(f"the flow is too large ({size} bytes; the limit is {MAX_YAML_BYTES})")


def _warn_if_files_broken(flows_dir: Path, context: Context) -> None:
    """The flow files are only the seed: with errors, a warning, and the stored live versions
    decide (`start` refuses only a broken file whose flow has no stored version)."""
    _flows, errors = check_files([flows_dir], context)
    if errors:
        text = "\n".join(map(str, errors))
        log.warning("flow files have errors; the stored live versions are used:\n%s", text)


async def start_flow_versions(
    engine: AsyncEngine,
    settings: Settings,
    root: Path,
    *,
    poll_interval_s: float = POLL_INTERVAL_S,
    vocabulary_check: VocabularyCheck | None = None,
    prepare: Callable[[FlowSet], Awaitable[None]] | None = None,
) -> FlowVersions:
    """The app's service: seeded from `settings.paths.flows_dir`, live set loaded, polling
    (the caller owns it: `await service.aclose()` stops the polling)."""
    flows_dir = settings.paths.flows_dir
    seed_dir = flows_dir if flows_dir.is_absolute() else root / flows_dir
    context = flow_context(settings, root)
    _warn_if_files_broken(seed_dir, context)
    service = FlowVersions(
        FlowVersionStore(engine), context, flows_dir,
        poll_interval_s=poll_interval_s, vocabulary_check=vocabulary_check,
    )  # fmt: skip
    service.prepare = prepare
    await service.start(seed_dir if seed_dir.is_dir() else None)
    service.start_polling()
    return service
