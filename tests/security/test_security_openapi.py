"""The OpenAPI document lists exactly the API the router serves: every `/api/` route of the
running app (staff API, flows, queues, recordings, PIN locks), no more, no less."""

from __future__ import annotations

import aiohttp

from ivr.app import App
from tests.security.conftest import AppFactory, clients

METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})


def served(app: App) -> set[tuple[str, str]]:
    web_app = app.services.http.app
    out = set()
    for route in web_app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if path.startswith("/api/") and route.method in METHODS:
            out.add((route.method, path))
    return out


async def test_openapi_lists_every_served_route(app_factory: AppFactory) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        api = await clients(app, http)
        status, doc = await api["agent"].call("GET", "/api/openapi.json")
        assert status == 200
        documented = {
            (method.upper(), path) for path, ops in doc["paths"].items() for method in ops
        }
        assert documented == served(app)
        assert {p for _m, p in documented if p.startswith("/api/recordings")} == {
            "/api/recordings",
            "/api/recordings/{id}",
            "/api/recordings/{id}/file",
            "/api/recordings/{id}/hold",
        }
        assert ("POST", "/api/pin-locks/{lock_id}/unlock") in documented
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                assert op["x-roles"] or (method, path) == ("post", "/api/session"), (method, path)
