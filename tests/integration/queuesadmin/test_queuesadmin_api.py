"""The admin queue API on a running app: roles (401/403), read, validate with line/col, a
queue a live flow uses cannot go (the flow's file:line), a valid edit is saved atomically
(backup kept) and applied to the running queue store; OpenAPI lists the routes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ivr.app import App
from tests.integration.call.conftest import AppFactory
from tests.integration.queuesadmin.conftest import QUEUES, ROOT

BASE = "/api/admin/queues"
GENERAL = "  general:\n    skills: {mandarin: 1, general: 1}\n"
TRADING_DESK = QUEUES[QUEUES.index("  trading_desk:\n") : QUEUES.index("  complaints:\n")]


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


def queue_files(config_dir: Path) -> list[str]:
    return sorted(p.name for p in config_dir.glob("*queues*"))


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


async def test_roles_guard_the_queue_api(app_factory: AppFactory, config_dir: Path) -> None:
    async with app_factory(IVR_CONFIG_DIR=str(config_dir)) as app, aiohttp.ClientSession() as s:
        c = await clients(app, s)
        status, body = await c["none"].call("GET", BASE)
        assert (status, body["error"]) == (401, "unauthorized")
        for method, path, payload in [
            ("GET", BASE, None),
            ("POST", f"{BASE}/validate", {"yaml": QUEUES}),
            ("PUT", BASE, {"yaml": QUEUES}),
        ]:
            status, body = await c["agent"].call(method, path, payload)
            assert (status, body["error"]) == (403, "forbidden")
        status, body = await c["supervisor"].call("PUT", BASE, {"yaml": QUEUES})
        assert (status, body["details"]) == (403, {"required_roles": ["admin"]})
        status, body = await c["supervisor"].call("GET", BASE)
        assert status == 200
        assert body["yaml"] == QUEUES
        assert body["path"] == str(config_dir / "queues.yaml")
        general = body["queues"][0]
        assert general == {
            "name": "general",
            "skills": {"mandarin": 1, "general": 1},
            "service_level": {"percent": 80.0, "within_s": 20.0},
            "max_wait_s": 900.0,
            "ring_timeout_s": 15.0,
            "wrap_up_s": 30.0,
            "strategy": "longest_idle",
            "overflow": [
                {"after_s": 120.0, "queue": "account_services"},
                {"after_s": 300.0, "offer": ["callback", "voice_message"]},
            ],
        }
        status, document = await c["admin"].call("GET", "/api/openapi.json")
        assert document["paths"][BASE]["put"]["x-roles"] == ["admin"]
        assert sorted(document["paths"][BASE]["get"]["x-roles"]) == ["admin", "supervisor"]
        assert document["paths"][f"{BASE}/validate"]["post"]["x-roles"] == ["admin"]


async def test_invalid_yaml_is_reported_at_its_line(
    app_factory: AppFactory, config_dir: Path
) -> None:
    typo = QUEUES.replace("    wrap_up_s: 45\n", "    wrap_up: 45\n")
    line = line_of(typo, "    wrap_up: 45\n")
    async with app_factory(IVR_CONFIG_DIR=str(config_dir)) as app, aiohttp.ClientSession() as s:
        admin = (await clients(app, s))["admin"]
        status, body = await admin.call("POST", f"{BASE}/validate", {"yaml": typo})
        path = str(config_dir / "queues.yaml")
        message = "queue 'account_services': unknown key 'wrap_up' (did you mean 'wrap_up_s'?)"
        expected = [{
            "path": path, "line": line, "column": 5, "message": message,
            "text": f"{path}:{line}:5: {message}",
        }]  # fmt: skip
        assert (status, body["valid"], body["errors"]) == (200, False, expected)
        status, body = await admin.call("PUT", BASE, {"yaml": typo, "comment": "oops"})
        assert (status, body["error"], body["details"]["errors"]) == (
            400,
            "queues-invalid",
            expected,
        )
        assert (config_dir / "queues.yaml").read_text(encoding="utf-8") == QUEUES
        assert not (config_dir / "queues.yaml.bak").exists()


async def test_a_queue_a_live_flow_uses_cannot_go(
    app_factory: AppFactory, config_dir: Path
) -> None:
    without = QUEUES.replace(TRADING_DESK, "")
    async with app_factory(IVR_CONFIG_DIR=str(config_dir)) as app, aiohttp.ClientSession() as s:
        admin = (await clients(app, s))["admin"]
        status, body = await admin.call("PUT", BASE, {"yaml": without, "comment": "bye desk"})
        assert (status, body["error"]) == (400, "queues-invalid")
        emergency = app.flow_versions.flows_dir / "emergency.yaml"
        message = "unknown queue 'trading_desk' (did you mean 'trading_support'?)"
        lines = (ROOT / "flows" / "emergency.yaml").read_text(encoding="utf-8").splitlines()
        at = [n for n, text in enumerate(lines, 1) if text.strip() == "queue: trading_desk"]
        nodes = list(zip(at, ("unverified_desk", "desk", "last_resort_desk"), strict=True))
        assert [e["text"] for e in body["details"]["errors"]] == [
            f"{emergency}:{line}:12: node '{node}': {message}" for line, node in nodes
        ]
        status, body = await admin.call("POST", f"{BASE}/validate", {"yaml": without})
        assert (status, body["valid"], len(body["errors"])) == (200, False, 3)
        assert (config_dir / "queues.yaml").read_text(encoding="utf-8") == QUEUES
        assert "trading_desk" in app.queue_store.config.queues


async def test_a_valid_edit_is_saved_and_applied(
    app_factory: AppFactory, config_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    edited = QUEUES.replace(GENERAL, GENERAL + "    max_wait_s: 240\n")
    assert edited != QUEUES
    async with app_factory(IVR_CONFIG_DIR=str(config_dir)) as app, aiohttp.ClientSession() as s:
        admin = (await clients(app, s))["admin"]
        assert app.queue_store.config.queues["general"].max_wait_s == 900
        status, body = await admin.call("POST", f"{BASE}/validate", {"yaml": edited})
        assert (status, body["valid"], body["errors"]) == (200, True, [])
        with caplog.at_level(logging.INFO, logger="ivr.web.api_queues"):
            status, body = await admin.call(
                "PUT", BASE, {"yaml": edited, "comment": "shorter wait"}
            )
        assert (status, body["saved"], body["queues"][0]["max_wait_s"]) == (200, True, 240.0)
        assert (config_dir / "queues.yaml").read_text(encoding="utf-8") == edited
        assert (config_dir / "queues.yaml.bak").read_text(encoding="utf-8") == QUEUES
        assert queue_files(config_dir) == ["queues.yaml", "queues.yaml.bak"]  # no tmp left
        assert app.queue_store.config.queues["general"].max_wait_s == 240
        assert app.flow_versions.context.queues is not None
        assert [r.getMessage() for r in caplog.records if r.name == "ivr.web.api_queues"] == [
            "queues saved by ada: 7 queue(s), comment='shorter wait'"
        ]
        status, body = await admin.call("GET", BASE)
        assert (body["yaml"], body["queues"][0]["max_wait_s"]) == (edited, 240.0)


async def test_the_page_needs_an_admin(app_factory: AppFactory, config_dir: Path) -> None:
    async with app_factory(IVR_CONFIG_DIR=str(config_dir)) as app, aiohttp.ClientSession() as s:
        c = await clients(app, s)
        page = app.http_url + "/admin/queues"
        async with s.get(page, allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (
                303,
                "/login?next=/admin/queues",
            )
        for role, status in [("agent", 403), ("supervisor", 403), ("admin", 200)]:
            async with s.get(page, headers=c[role].headers) as response:
                assert response.status == status, role
        async with s.get(page, headers=c["admin"].headers) as response:
            assert '<textarea id="yaml"' in await response.text()
