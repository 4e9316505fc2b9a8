"""No route answers 500: hypothesis fills every route's path parameters and query parameters
with hostile values — superscript and fullwidth digits (`%C2%B2`), huge numbers, signs, spaces,
traversal, control characters, any text — and sends them as a user holding every role. Each
answer must be a deliberate one (2xx, 3xx, 4xx with the one error shape), never a 500.

The routes are read from the app's router at run time (`tests.security.routes`): API, pages,
prompts, health; a route added later is fuzzed without touching this file. Query parameters are
the route's documented ones; the random search may also send any name a handler reads anywhere,
and a test proves every such name is documented on some route."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.app import App
from tests.security.conftest import AppFactory
from tests.security.routes import PARAM, read_query_names, served_routes

HOSTILE = [
    "²", "１２", "99999999999999999999999", "-1", "+1", " 1", "1 ", "0", "1_000", "1e3", "0x10",
    "9" * 400, "18446744073709551616", "1-18446744073709551616",
    "..", "../..", "%", "%00", "\x00", "\t", "me", "1.5", "NaN", "-0", "٣", "null",
]  # fmt: skip
_PARAM = PARAM


READ_NAMES = sorted(read_query_names())


@dataclass
class Target:
    app: App
    http: aiohttp.ClientSession
    headers: dict[str, str]
    routes: list[tuple[str, str, tuple[str, ...]]]  # method, path template, query names


@pytest.fixture
async def target(app_factory: AppFactory) -> AsyncIterator[Target]:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        roles = ["admin", "supervisor", "compliance", "agent"]
        token = await app.users.add_user("fuzz-every-role", roles, agent_id="a-fuzz")
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{app.http_url}/api/openapi.json", headers=headers) as r:
            doc: dict[str, Any] = await r.json()
        routes = [(s.method, s.path, s.query) for s in served_routes(app, doc)]
        yield Target(app, http, headers, routes)


values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(data=st.data())
async def test_no_route_answers_500(target: Target, data: st.DataObject) -> None:
    method, template, query_names = data.draw(st.sampled_from(target.routes), label="route")
    path = _PARAM.sub(
        lambda m: quote(data.draw(values, label=m.group(1)), safe="") or "x", template
    )
    names = sorted({*query_names, *data.draw(st.sets(st.sampled_from(READ_NAMES)), "others")})
    query = {
        name: data.draw(values, label=f"?{name}")
        for name in names
        if data.draw(st.booleans(), label=f"send {name}")
    }
    url = f"{target.app.http_url}{path}"
    encoded = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    async with target.http.request(
        method,
        f"{url}?{encoded}" if encoded else url,
        headers=target.headers,
        allow_redirects=False,
    ) as response:
        body = await response.text()
    assert response.status < 500, f"{method} {path}?{encoded}: {response.status} {body[:200]}"


def _fill(template: str, slot: str, value: str) -> str:
    """`template` with `value` in path parameter `slot` and `1` in the others."""

    def one(match: re.Match[str]) -> str:
        return quote(value if match.group(1) == slot else "1", safe="") or "x"

    return _PARAM.sub(one, template)


async def test_every_route_and_parameter_with_each_hostile_value(target: Target) -> None:
    """Deterministic sweep beside the random search: each hostile value in each parameter."""
    failures = []
    for method, template, query_names in target.routes:
        slots = [*_PARAM.findall(template), *(f"?{q}" for q in query_names)]
        for slot in slots:
            for value in HOSTILE:
                path = _fill(template, slot, value)
                query = (
                    f"?{quote(slot[1:])}={quote(value, safe='')}" if slot.startswith("?") else ""
                )
                async with target.http.request(
                    method, f"{target.app.http_url}{path}{query}", headers=target.headers,
                    allow_redirects=False,
                ) as response:  # fmt: skip
                    if response.status >= 500:
                        failures.append(f"{method} {path[:120]}{query[:80]}: {response.status}")
    assert not failures, "\n".join(failures)


async def test_the_fuzz_reaches_every_kind_of_route_and_every_query_name(target: Target) -> None:
    """The router's routes are all there (pages, prompts, reports, follow-ups, campaigns), and
    every query name a handler reads is a parameter the sweep above fills on some route."""
    paths = {path for _m, path, _q in target.routes}
    for path in ("/api/reports/intervals", "/api/reports/surveys", "/api/followups",
                 "/api/campaigns", "/login", "/admin/flows/{flow}/graph.svg",
                 "/prompts/files/{path}", "/healthz", "/pages/static/{filename}"):  # fmt: skip
        assert path in paths, path
    assert ("GET", "/api/reports/intervals", ("from", "to", "queue", "format")) in target.routes
    filled = {name for _m, _p, query in target.routes for name in query}
    path_names = {name for _m, path, _q in target.routes for name in _PARAM.findall(path)}
    assert read_query_names() - path_names - filled == set()
