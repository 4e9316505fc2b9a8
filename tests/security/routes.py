"""Every route the running app serves, read from its router (not from a list kept by hand):
method, path template, the query parameters it reads, and the roles it admits.

- Query parameters: those the OpenAPI document lists for the route, plus those of the pages
  (`PAGE_QUERIES`); `read_query_names()` scans the web package's source for every query name
  a handler reads, so a test can prove none is left out of the lists the fuzz draws from.
- Roles: `x-roles` of the OpenAPI document for `/api/` routes; the page table's roles for
  pages; the flow API's roles for the graph; None for the public routes (`PUBLIC`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

import ivr.web
from ivr.app import App
from ivr.web.api_flows import READ, WRITE
from ivr.web.pages import PAGES

METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
PARAM = re.compile(r"{(\w+)(?::[^}]*)?}")

# Routes that need no credentials, by design (docs/security.md): health and metrics for load
# balancers, the login page and login, prompt audio for Asterisk (private prompts are signed),
# static page assets (no data), and the home page (it redirects to the user's page or login).
PUBLIC = frozenset({
    ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/login"), ("POST", "/api/session"),
    ("GET", "/prompts/tts/{key}.wav"), ("GET", "/prompts/files/{path}"),
    ("GET", "/prompts/private/{call}/{prompt}/{expires}/{signature}.wav"),
    ("GET", "/pages/static/{filename}"),
})  # fmt: skip
# Pages redirect to the login page instead of answering 401.
LOGIN_REDIRECTS = frozenset({("GET", "/"), *(("GET", page.path) for page in PAGES)})
PAGE_QUERIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/login"): ("next",),
    ("GET", "/admin/flows/{flow}/graph.svg"): ("version",),
}
PAGE_ROLES: dict[tuple[str, str], frozenset[str]] = {
    **{("GET", page.path): page.roles for page in PAGES},
    ("GET", "/admin/flows/{flow}/graph.svg"): READ,
    ("POST", "/admin/flows/{flow}/graph.svg"): WRITE,
}


@dataclass(frozen=True, slots=True)
class Served:
    method: str
    path: str  # template: /api/recordings/{id}
    query: tuple[str, ...]
    roles: frozenset[str] | None  # None: public (or any signed-in user, for `/`)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def _template(resource: web.AbstractResource) -> str:
    if isinstance(resource, web.StaticResource):
        return f"{resource.canonical}/{{filename}}"
    return PARAM.sub(r"{\1}", resource.canonical)


def served_routes(app: App, openapi: dict[str, Any]) -> list[Served]:
    """Every route of `app`'s router (one per method and path template)."""
    documented = {
        (method.upper(), path): op for path, ops in openapi["paths"].items()
        for method, op in ops.items()
    }  # fmt: skip
    out: dict[tuple[str, str], Served] = {}
    for route in app.services.http.app.router.routes():
        if route.method not in METHODS or route.resource is None:
            continue
        key = (route.method, _template(route.resource))
        op = documented.get(key)
        if op is not None:
            query = tuple(p["name"] for p in op["parameters"] if p["in"] == "query")
            roles = frozenset(op["x-roles"]) if op["x-roles"] else None
        else:
            query, roles = PAGE_QUERIES.get(key, ()), PAGE_ROLES.get(key)
        out[key] = Served(*key, query, roles)
    return sorted(out.values(), key=lambda s: s.key)


_READS = (
    re.compile(r"query(?:\.get\(|\[)\s*\"(\w+)\""),  # request.query.get("limit"), query["x"]
    re.compile(r"\(\s*request\s*,\s*\"(\w+)\""),  # query_int(request, "limit", ...), helpers
)


def read_query_names() -> set[str]:
    """Every literal name the web package's handlers read from a query (or pass with the
    request to a helper: path parameter names come along, the caller drops them)."""
    root = Path(ivr.web.__file__).parent
    names: set[str] = set()
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for pattern in _READS:
            names.update(pattern.findall(text))
    return names
