"""Admin API of the queue definitions (`config/queues.yaml`) under `/api/admin/queues`.

Routes: `GET` (admins, supervisors) the file's text and its parsed queues; `POST .../validate`
(admins) `{"yaml"}` -> `{"valid", "errors"}`; `PUT` (admins) `{"yaml", "comment"}` saves and
applies, or answers 400 `queues-invalid` with the same errors in `details.errors`.

Rules:
- A candidate is checked twice: `queueing.config.parse_queues` (every error, file:line:col),
  then the live flows are validated against its queues and skills with the app's flow
  `Context`; a problem the current queues do not already cause (a queue or skill a live flow
  uses is gone) is reported naming the flow's file:line. Each error is
  `{path, line, column, message, text}`; `path` tells the editor whose line it is.
- A save writes the file atomically (tmp + fsync + rename; the previous file is kept as
  `queues.yaml.bak`), then swaps the running config through `QueueAdminDeps.apply` (no `App`
  import) and logs one audit line at INFO (who, comment). Saves are serialised by a lock.
- The routes are `Route` entries appended to the API table (`API_ROUTES`): OpenAPI lists them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from pydantic import Field

from ivr.engine.errors import FlowError
from ivr.engine.validate import Context
from ivr.errors import LocatedError
from ivr.flowversions.check import check_texts
from ivr.flowversions.service import FlowVersions
from ivr.store.files import write_atomically
from ivr.web.api import API_ROUTES
from ivr.web.api_body import Body, read_body
from ivr.web.api_common import Route, ok
from ivr.web.auth import ROLE_ADMIN, ROLE_SUPERVISOR, current_user, require_roles
from ivr.web.errors import ApiError
from queueing.config import (
    AddQueue,
    AddSkills,
    OfferExit,
    OverflowStep,
    QueueConfig,
    QueueDef,
    RelaxSkills,
    parse_queues,
)
from queueing.errors import QueueConfigErrors
from queueing.store import RedisQueueStore

__all__ = [
    "QueueAdminDeps",
    "QueueRoutes",
    "add_queue_routes",
    "queue_admin_deps",
    "swap_queue_config",
]

log = logging.getLogger(__name__)

WRITE: Final = frozenset({ROLE_ADMIN})
READ: Final = frozenset({ROLE_ADMIN, ROLE_SUPERVISOR})
MAX_TEXT: Final = 256 * 1024
BASE: Final = "/api/admin/queues"
QUEUES_FILE: Final = "queues.yaml"

Located = LocatedError  # a QueueConfigError or a FlowError: path, line, column, message


@dataclass(frozen=True, slots=True)
class QueueAdminDeps:
    """What the queue routes need: the file (`path` to read and rewrite; `label` names it in
    errors), the flow-version service (live flows and their context) and `apply`, which
    installs a saved config in the running app."""

    path: Path
    label: Path
    flows: FlowVersions
    apply: Callable[[QueueConfig], None]


def swap_queue_config(store: RedisQueueStore, flows: FlowVersions) -> Callable[[QueueConfig], None]:
    """The app's `apply`: new queue config for routing, and for future flow validation."""

    def apply(config: QueueConfig) -> None:
        store.config = config
        flows.context = _flow_context(flows, config)

    return apply


def queue_admin_deps(
    root: Path, config_dir: Path, store: RedisQueueStore, flows: FlowVersions
) -> QueueAdminDeps:
    """Deps for the app: `config_dir` as configured (relative to `root` unless absolute)."""
    resolved = config_dir if config_dir.is_absolute() else root / config_dir
    label = config_dir / QUEUES_FILE
    return QueueAdminDeps(resolved / QUEUES_FILE, label, flows, swap_queue_config(store, flows))


class QueuesYamlBody(Body):
    yaml: str = Field(max_length=MAX_TEXT)


class QueuesSaveBody(Body):
    yaml: str = Field(max_length=MAX_TEXT)
    comment: str = Field(default="", max_length=2000)


# ---------------------------------------------------------------------- JSON shapes


def error_json(error: Located) -> dict[str, Any]:
    return {
        "path": str(error.path), "line": error.line, "column": error.column,
        "message": error.message, "text": str(error),
    }  # fmt: skip


def _step_json(step: OverflowStep) -> dict[str, Any]:
    out: dict[str, Any] = {"after_s": step.after_s}
    match step.action:
        case RelaxSkills(levels):
            out["relax"] = dict(levels)
        case AddQueue(queue):
            out["queue"] = queue
        case AddSkills(skills):
            out["skills"] = dict(skills)
        case OfferExit(options):
            out["offer"] = [str(o) for o in options]
    return out


def queue_json(queue: QueueDef) -> dict[str, Any]:
    sl = queue.service_level
    return {
        "name": queue.name, "skills": dict(queue.skills),
        "service_level": {"percent": sl.percent, "within_s": sl.within_s},
        "max_wait_s": queue.max_wait_s, "ring_timeout_s": queue.ring_timeout_s,
        "wrap_up_s": queue.wrap_up_s, "strategy": str(queue.strategy),
        "overflow": [_step_json(s) for s in queue.overflow],
    }  # fmt: skip


def queues_json(config: QueueConfig) -> list[dict[str, Any]]:
    return [queue_json(q) for q in config.queues.values()]


# ---------------------------------------------------------------------- checks


def _flow_context(flows: FlowVersions, config: QueueConfig) -> Context:
    queues = {name: dict(q.skills) for name, q in config.queues.items()}
    return replace(flows.context, queues=queues, skills=frozenset(config.skills))


def flow_errors(flows: FlowVersions, texts: dict[str, str], config: QueueConfig) -> list[FlowError]:
    """Errors of the live flows under `config` that the current context does not have."""
    paths = {name: flows.path_of(name) for name in texts}
    _now, before = check_texts(texts, flows.context, paths)
    _new, after = check_texts(texts, _flow_context(flows, config), paths)
    known = {str(e) for e in before}
    return [e for e in after if str(e) not in known]


# ---------------------------------------------------------------------- routes


class QueueRoutes:
    def __init__(self, deps: QueueAdminDeps) -> None:
        self.deps = deps
        self._lock = asyncio.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("GET", BASE, self.show, READ, "Queue definitions: YAML and parsed queues"),
            Route(
                "POST", f"{BASE}/validate", self.validate, WRITE, "Validate queues YAML",
                QueuesYamlBody,
            ),
            Route("PUT", BASE, self.save, WRITE, "Save and apply queues YAML", QueuesSaveBody),
        ]  # fmt: skip

    async def check(self, text: str) -> tuple[QueueConfig | None, list[Located]]:
        """The candidate's config (None if its YAML is bad) and every error found."""
        try:
            config = parse_queues(text, self.deps.label)
        except QueueConfigErrors as exc:
            return None, list(exc.errors)
        live = await self.deps.flows.store.live()
        return config, list(flow_errors(self.deps.flows, dict(live.texts), config))

    async def show(self, request: web.Request) -> web.Response:
        label = str(self.deps.label)
        try:
            text = await asyncio.to_thread(self.deps.path.read_text, encoding="utf-8")
        except OSError as exc:
            message = f"cannot read {self.deps.label}: {exc.strerror}"
            raise ApiError(500, "queues-unreadable", message) from None
        try:
            config = parse_queues(text, self.deps.label)
        except QueueConfigErrors as exc:  # edited by hand since the app started
            errors = [error_json(e) for e in exc.errors]
            return ok({"path": label, "yaml": text, "queues": [], "errors": errors})
        return ok({"path": label, "yaml": text, "queues": queues_json(config), "errors": []})

    async def validate(self, request: web.Request) -> web.Response:
        body = await read_body(request, QueuesYamlBody)
        config, errors = await self.check(body.yaml)
        queues = [] if config is None else queues_json(config)
        return ok(
            {"valid": not errors, "errors": [error_json(e) for e in errors], "queues": queues}
        )

    async def save(self, request: web.Request) -> web.Response:
        body = await read_body(request, QueuesSaveBody)
        user = current_user(request)
        who = user.name if user else "-"
        async with self._lock:
            config, errors = await self.check(body.yaml)
            if config is None or errors:
                raise ApiError(
                    400, "queues-invalid", f"the queue definitions have {len(errors)} error(s)",
                    errors=[error_json(e) for e in errors],
                )  # fmt: skip
            await asyncio.to_thread(write_atomically, self.deps.path, body.yaml)
            self.deps.apply(config)
        log.info(
            "queues saved by %s: %d queue(s), comment=%r", who, len(config.queues), body.comment
        )
        return ok({"saved": True, "queues": queues_json(config)})


def add_queue_routes(app: web.Application, deps: QueueAdminDeps) -> None:
    """Add the queue routes to `app` and to its API table (after `add_api_routes`)."""
    routes = QueueRoutes(deps).routes()
    for route in routes:
        roles = sorted(route.roles or WRITE)
        app.router.add_route(route.method, route.path, require_roles(*roles)(route.handler))
    app[API_ROUTES].extend(routes)
