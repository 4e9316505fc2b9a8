"""Staff web pages: login, admin (flows, agents, queues), agent desktop, supervisor wallboard.

`add_pages(app, flow_versions)` registers the page routes on the app that already serves the
API (`add_api_routes` installed the auth middleware, so `current_user(request)` works here).
Pages are static HTML + vanilla JS modules + CSS under `static/` (no build step, no CDN); the
JS talks to the JSON API with the session cookie set by `POST /api/session`.

Owns the page routes, the static files and the page languages (`language`). Must not import
`ivr.app`, `ivr.cli` or `ivr.commands` (the "ivr layers" contract); pages reuse the API's
checks (`ivr.web.auth`, `ivr.web.api_*`) rather than their own, and hold no storage code.

Rules:
- `next=` after login is a path of this site only (`safe_next`): `/login?next=` anything
  else (`//evil`, `/\\evil`, a tab or other control character, `https:...`) is sent to
  `/login?next=/` first, and the login page's script checks the origin again.
- Every page except `/login` needs a session: none -> 303 to `/login?next=<path>`; a user
  without one of the page's roles -> 403 (an HTML page, checked here, server-side, with the
  same roles as the API the page uses). Static assets are public (they hold no data).
- The flow graph is drawn server-side by Graphviz (`ivr.flowversions.picture.flow_svg`):
  `GET /admin/flows/{flow}/graph.svg?version=N` (live version without `version`) and
  `POST /admin/flows/{flow}/graph.svg {"yaml": ...}` for the text being edited.
- Every page is served in zh-CN or en (`language.page_language`: the `ivr_lang` cookie, else
  `Accept-Language`): its `<html lang>` is set here, the page's script translates its texts from
  `static/i18n/<lang>.json`; the 403 page is written in that language here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final, NoReturn
from urllib.parse import quote, urlsplit

from aiohttp import web

from ivr.flowversions.picture import PictureUnavailable, flow_svg
from ivr.flowversions.service import FlowVersionError, FlowVersions
from ivr.web.api_body import read_body
from ivr.web.api_flows import READ, WRITE, YamlBody, api_error
from ivr.web.auth import (
    ROLE_ADMIN,
    ROLE_AGENT,
    ROLE_SUPERVISOR,
    ApiUser,
    check_roles,
    current_user,
)
from ivr.web.errors import ApiError, Handler
from ivr.web.files import file_inside
from ivr.web.ints import parse_int
from ivr.web.pages.language import COOKIE, page_language, text

__all__ = ["PAGES", "Page", "add_pages", "home_of"]

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
STATIC_PREFIX: Final = "/pages/static"
ADMINS: Final = frozenset({ROLE_ADMIN})
SUPERVISORS: Final = frozenset({ROLE_SUPERVISOR, ROLE_ADMIN})
AGENTS: Final = frozenset({ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN})


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its route, its HTML file under `static/` and who may open it."""

    path: str
    html: str
    roles: frozenset[str]


PAGES: Final = (
    Page("/admin/flows", "flows.html", ADMINS),
    Page("/admin/flows/{flow}", "flow_edit.html", ADMINS),
    Page("/admin/agents", "agents.html", ADMINS),
    Page("/admin/queues", "admin-queues.html", ADMINS),
    Page("/agent", "agent.html", AGENTS),
    Page("/wallboard", "wallboard.html", SUPERVISORS),
)

# where `/` sends a user, first matching role wins
_HOMES: Final = (
    (ROLE_ADMIN, "/admin/flows"),
    (ROLE_SUPERVISOR, "/wallboard"),
    (ROLE_AGENT, "/agent"),
)


def home_of(user: ApiUser) -> str | None:
    """The page `/` opens for `user` (None: no page for its roles, e.g. compliance only)."""
    return next((path for role, path in _HOMES if role in user.roles), None)


def _login_redirect(request: web.Request) -> NoReturn:
    target = quote(request.path_qs, safe="/")
    raise web.HTTPSeeOther(f"/login?next={target}")


def language_of(request: web.Request) -> str:
    """The language the pages speak to this request (zh-CN or en)."""
    return page_language(request.cookies.get(COOKIE), request.headers.get("Accept-Language"))


def _message_page(request: web.Request, status: int, key: str, **params: str) -> web.Response:
    lang = language_of(request)
    title, message = text(lang, f"{key}.title"), text(lang, f"{key}.text", **params)
    home, other = text(lang, "message.home"), text(lang, "message.other_user")
    body = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{STATIC_PREFIX}/pages.css"></head>'
        f'<body><main class="message"><h1>{escape(title)}</h1><p id="message">{escape(message)}</p>'
        f'<p><a href="/">{escape(home)}</a> · <a href="/login">{escape(other)}</a></p>'
        "</main></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html", charset="utf-8")


def _html(request: web.Request, name: str) -> web.Response:
    page = (STATIC_DIR / name).read_text(encoding="utf-8")
    page = page.replace('<html lang="en">', f'<html lang="{language_of(request)}">', 1)
    response = web.Response(text=page, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def page_handler(page: Page) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        user = current_user(request)
        if user is None:
            _login_redirect(request)
        if not user.has_any(page.roles):
            roles = ", ".join(sorted(page.roles))
            return _message_page(request, 403, "message.forbidden", roles=roles)
        return _html(request, page.html)

    return handler


def safe_next(raw: str) -> str:
    """`raw` when it is a path of this site, else `/` (pure)."""
    if not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) <= 0x20 or c in "\\\x7f" for c in raw):
        return "/"
    parts = urlsplit(raw)
    return raw if not parts.scheme and not parts.netloc else "/"


async def login_page(request: web.Request) -> web.StreamResponse:
    raw = request.query.get("next")
    if raw is not None and safe_next(raw) != raw:
        raise web.HTTPSeeOther("/login?next=/")
    return _html(request, "login.html")


async def home(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if user is None:
        _login_redirect(request)
    target = home_of(user)
    if target is None:
        return _message_page(request, 403, "message.no_page")
    raise web.HTTPSeeOther(target)


class GraphRoutes:
    """The flow graph as SVG, for a stored version or for YAML being edited."""

    def __init__(self, service: FlowVersions) -> None:
        self.service = service

    async def stored(self, request: web.Request) -> web.StreamResponse:
        check_roles(request, READ)
        flow = request.match_info["flow"]
        try:
            number = self._version(request) or await self._live_number(flow)
            text = (await self.service.store.version_text(flow, number)).yaml_text
            return await self._draw(flow, text)
        except FlowVersionError as exc:
            raise api_error(exc) from None

    async def edited(self, request: web.Request) -> web.StreamResponse:
        check_roles(request, WRITE)
        body = await read_body(request, YamlBody)
        try:
            return await self._draw(request.match_info["flow"], body.yaml)
        except FlowVersionError as exc:
            raise api_error(exc) from None

    @staticmethod
    def _version(request: web.Request) -> int | None:
        raw = request.query.get("version", "")
        return parse_int(raw, "version", 1, 2**31 - 1) if raw else None

    async def _live_number(self, flow: str) -> int:
        number = (await self.service.store.live()).numbers.get(flow)
        if number is None:
            raise ApiError(404, "flow-version-not-found", f"flow {flow!r} has no live version")
        return number

    async def _draw(self, flow: str, text: str) -> web.Response:
        flows, errors = await self.service.check_candidate(flow, text)
        if errors or flow not in flows.flows:
            raise ApiError(400, "flow-invalid", "fix the flow's errors to draw it")
        try:
            picture = await asyncio.to_thread(flow_svg, flows.flows[flow])
        except PictureUnavailable as exc:
            raise ApiError(503, exc.code, str(exc)) from None
        return web.Response(text=picture, content_type="image/svg+xml", charset="utf-8")


async def static_file(request: web.Request) -> web.StreamResponse:
    """A page asset (public: no data); a name outside the folder, or one the file system
    refuses (`ivr.web.files`), is 404."""
    path = file_inside(STATIC_DIR, request.match_info["filename"])
    if path is None:
        raise web.HTTPNotFound(text="no such file")
    return web.FileResponse(path)


def add_pages(app: web.Application, flow_versions: FlowVersions | None = None) -> None:
    """Register the pages (after `add_api_routes`: the auth middleware must be installed)."""
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    for page in PAGES:
        app.router.add_get(page.path, page_handler(page))
    if flow_versions is not None:
        graphs = GraphRoutes(flow_versions)
        app.router.add_get("/admin/flows/{flow}/graph.svg", graphs.stored)
        app.router.add_post("/admin/flows/{flow}/graph.svg", graphs.edited)
    app.router.add_get(STATIC_PREFIX + "/{filename:.+}", static_file)
    log.debug("staff pages registered: %d", len(PAGES) + 2)
