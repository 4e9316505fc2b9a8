"""The admin flow-version API on a running app: roles (401/403), validate with line/col, save,
publish (refused with the errors, then accepted), versions, YAML, diff, simulate, rollback,
audit; the OpenAPI document lists the routes."""

from __future__ import annotations

from typing import Any

import aiohttp

from ivr.app import App
from tests.integration.call.conftest import AppFactory
from tests.integration.flowversions.conftest import (
    FLOWS,
    HOTLINE,
    hotline_with,
    option_1_position,
)

BASE = "/api/admin/flows"


class Client:
    def __init__(self, app: App, session: aiohttp.ClientSession, token: str | None) -> None:
        self.base, self.session = app.http_url, session
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as response:
            return response.status, await response.json()


async def clients(app: App, session: aiohttp.ClientSession) -> dict[str, Client]:
    tokens = {
        "admin": await app.users.add_user("ada", ["admin"]),
        "supervisor": await app.users.add_user("sue", ["supervisor"]),
        "agent": await app.users.add_user("al", ["agent"], agent_id="a-1"),
    }
    return {"none": Client(app, session, None)} | {
        role: Client(app, session, token) for role, token in tokens.items()
    }


async def test_roles_guard_the_flow_api(app_factory: AppFactory) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as session:
        c = await clients(app, session)
        status, body = await c["none"].call("GET", BASE)
        assert (status, body["error"]) == (401, "unauthorized")
        status, body = await c["agent"].call("GET", BASE)
        assert (status, body["error"]) == (403, "forbidden")
        status, body = await c["agent"].call("GET", f"{BASE}/hotline/versions/1")
        assert status == 403
        publish = {"version": 1}
        status, body = await c["supervisor"].call("POST", f"{BASE}/hotline/publish", publish)
        assert (status, body["details"]) == (403, {"required_roles": ["admin"]})
        status, body = await c["supervisor"].call("GET", BASE)
        assert status == 200
        assert body["flows"] == [
            {"flow": p.stem, "live": 1, "latest": 1, "versions": 1}
            for p in sorted(FLOWS.glob("*.yaml"))
        ]
        status, document = await c["admin"].call("GET", "/api/openapi.json")
        operation = document["paths"]["/api/admin/flows/{flow}/publish"]["post"]
        assert operation["x-roles"] == ["admin"]


async def test_admin_edits_publishes_tries_and_rolls_back(app_factory: AppFactory) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as session:
        admin = (await clients(app, session))["admin"]
        line, column = option_1_position()
        bad = hotline_with("hours_chek")
        status, body = await admin.call("POST", f"{BASE}/hotline/validate", {"yaml": bad})
        path = str(FLOWS / "hotline.yaml")
        message = "node 'language_menu': option 'next' points to unknown node 'hours_chek'"
        message += " (did you mean 'hours_check'?)"
        assert (status, body) == (200, {"valid": False, "errors": [{
            "path": path, "line": line, "column": column, "message": message,
            "text": f"{path}:{line}:{column}: {message}",
        }]})  # fmt: skip

        status, saved = await admin.call("POST", f"{BASE}/hotline/versions", {"yaml": bad})
        assert (status, saved["version"], saved["author"], len(saved["errors"])) == (
            201, 2, "ada", 1,
        )  # fmt: skip
        status, body = await admin.call("POST", f"{BASE}/hotline/publish", {"version": 2})
        assert (status, body["error"], body["message"]) == (
            400, "flow-invalid", f"{path}:{line}:{column}: {message}",
        )  # fmt: skip

        good = hotline_with("goodbye", fallback="goodbye")
        status, saved = await admin.call(
            "POST", f"{BASE}/hotline/versions", {"yaml": good, "comment": "bye"}
        )
        assert (status, saved["version"], saved["errors"]) == (201, 3, [])
        tried = {"yaml": good, "inputs": "1"}
        status, sim = await admin.call("POST", f"{BASE}/hotline/simulate", tried)
        assert status == 200
        assert sim["outcome"]["outcome"] == "hangup"
        assert "[hotline.goodbye] hangup" in sim["transcript"]
        entered = [line.split("]")[0][1:] for line in sim["transcript"] if "] " in line]
        visited = [f"{v['flow']}.{v['node']}" for v in sim["visited"]]
        assert set(visited) <= set(entered)
        assert visited[-1] == "hotline.goodbye"
        assert [v["node"] for v in sim["visited"]] == sim["path"]

        status, body = await admin.call(
            "POST", f"{BASE}/hotline/publish", {"version": 3, "comment": "go"}
        )
        assert (status, body["audit"]["from_version"], body["audit"]["to_version"]) == (200, 1, 3)
        assert app.flows().flows["hotline"].nodes["language_menu"].fallback == "goodbye"  # type: ignore[union-attr]

        status, listing = await admin.call("GET", f"{BASE}/hotline/versions")
        assert [(v["version"], v["author"], v["live"]) for v in listing["versions"]] == [
            (1, "seed", False), (2, "ada", False), (3, "ada", True),
        ]  # fmt: skip
        status, version = await admin.call("GET", f"{BASE}/hotline/versions/1")
        assert (status, version["yaml"]) == (200, HOTLINE)
        status, diff = await admin.call("GET", f"{BASE}/hotline/diff?from=1&to=3")
        assert diff["diff"].startswith("--- hotline@1\n+++ hotline@3\n")
        assert "+        next: goodbye\n" in diff["diff"]

        status, body = await admin.call(
            "POST", f"{BASE}/hotline/rollback", {"version": 1, "comment": "undo"}
        )
        assert status == 200
        status, sim = await admin.call("POST", f"{BASE}/hotline/simulate", {"inputs": "1"})
        assert "[hotline.main_menu] menu" in sim["transcript"]
        status, audit = await admin.call("GET", f"{BASE}/hotline/audit")
        assert [
            (a["actor"], a["action"], a["from_version"], a["to_version"], a["comment"])
            for a in audit["audit"]
        ] == [
            ("ada", "rollback", 3, 1, "undo"), ("ada", "publish", 1, 3, "go"),
            ("seed", "seed", None, 1, "seeded from file"),
        ]  # fmt: skip
        status, body = await admin.call("GET", f"{BASE}/hotline/versions/9")
        assert (status, body["error"]) == (404, "flow-version-not-found")
        status, body = await admin.call("POST", f"{BASE}/hotline/rollback", {"version": 1})
        assert (status, body["error"]) == (409, "already-live")
