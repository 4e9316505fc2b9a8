"""Every route is authenticated and authorised by role, proved over the router's routes as the
running app serves them (`tests.security.routes`), not over a list kept by hand:
- with no credentials, every route but the public ones (health, metrics, login, prompt audio
  for Asterisk, page assets) is refused: 401 `unauthorized` for the API and the graph, a 303 to
  the login page for pages;
- with a token of each role a route does not admit, the answer is 403 (`forbidden` for the
  API, the HTML 403 page for pages), before any parameter is read;
- a route that admits no role at all, or that has no roles to check, is a failure."""

from __future__ import annotations

import aiohttp

from ivr.web.auth import ROLES
from tests.security.conftest import AppFactory
from tests.security.routes import LOGIN_REDIRECTS, PARAM, PUBLIC, served_routes


def _url(base: str, template: str) -> str:
    """Every path parameter `1`: a well-formed id and name alike (roles are checked first)."""
    return base + PARAM.sub("1", template)


async def test_every_route_refuses_no_token_and_each_role_it_does_not_admit(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        tokens = {
            role: await app.users.add_user(f"walk-{role}", [role], agent_id=f"w-{role}")
            for role in sorted(ROLES)
        }
        bearer = {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}
        async with http.get(f"{app.http_url}/api/openapi.json", headers=bearer["admin"]) as r:
            doc = await r.json()
        routes = served_routes(app, doc)
        assert len(routes) > 80
        problems: list[str] = []
        refused = checked = 0
        for route in routes:
            if route.key in PUBLIC:
                continue
            url = _url(app.http_url, route.path)
            async with http.request(route.method, url, allow_redirects=False) as response:
                status, location = response.status, response.headers.get("Location", "")
            if route.key in LOGIN_REDIRECTS:
                if status != 303 or not location.startswith("/login"):
                    problems.append(f"{route.method} {route.path} no session: {status}")
            elif status != 401:
                problems.append(f"{route.method} {route.path} no token: {status}")
            refused += 1
            if route.path == "/":
                continue  # any signed-in user: it sends each to their own page
            if not route.roles:
                problems.append(f"{route.method} {route.path}: no roles to check")
                continue
            for role in sorted(ROLES - route.roles):
                async with http.request(
                    route.method, url, headers=bearer[role], allow_redirects=False
                ) as response:
                    checked += 1
                    if response.status != 403:
                        problems.append(f"{route.method} {route.path} as {role}: {response.status}")
        assert not problems, "\n".join(problems)
        assert refused > 70, refused  # 81 when written
        assert checked > 100, checked  # 143 when written
