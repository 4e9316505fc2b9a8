"""Loading campaigns: `ivr campaigns load|status|dnc` and `POST /api/campaigns`. A bad line is
refused with its line number and nothing from the file is queued until it is fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ivr.app import App
from ivr.cli import main
from ivr.store import CallStore
from ivr.store.outbound import OutboundStore
from tests.integration.outbound.conftest import AppFactory

HEADER = "account,phone,risk_ratio,required_deposit,deadline\n"
GOOD = "12345678,13900000010,112.5,50000,2026-01-06T09:00:00+08:00\n"
SECOND = "87654321,13900000020,101,2000.5,2026-01-06T09:00:00+08:00\n"
BAD = "123/../x,8001@evil,101,2000.5,2026-01-06T09:00:00+08:00\n"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/ivr.db"
    monkeypatch.setenv("IVR_DATABASE_URL", url)
    return url


async def _counts(url: str) -> list[dict[str, int]]:
    store = await CallStore.open(url)
    try:
        return [c.counts for c in await OutboundStore(store.engine).status()]
    finally:
        await store.close()


def test_cli_refuses_a_bad_file_whole_then_loads_it_fixed(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "margins.csv"
    path.write_text(HEADER + GOOD + BAD + SECOND, encoding="utf-8")
    assert main(["campaigns", "load", str(path), "--by", "sue"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"ivr: {path}:3: account: not an account number: 4-20 digits only",
        f"{path}:3: phone: not a telephone number: only digits, an optional leading +, spaces"
        " and hyphens",
        "nothing from this file was queued: fix these lines and load it again",
    ]
    assert main(["campaigns", "status"]) == 0
    assert capsys.readouterr().out == "no campaigns\n"

    path.write_text(HEADER + GOOD + SECOND, encoding="utf-8")
    assert main(["campaigns", "dnc", "+86 139 0000 0020", "--reason", "client asked"]) == 0
    assert capsys.readouterr().out == "do not call: +8613900000020\n"
    assert main(["campaigns", "load", str(path), "--by", "sue"]) == 0
    assert capsys.readouterr().out == "campaign 1: 2 notices (queued=1 refused=1)\n"
    assert main(["campaigns", "status"]) == 0
    out = capsys.readouterr().out
    assert out == f"   1  margin_notice  {path}  total=2  queued=1 refused=1\n"
    assert "12345678" not in out
    assert main(["campaigns", "status", "--json"]) == 0
    (doc,) = json.loads(capsys.readouterr().out)
    assert (doc["total"], doc["counts"]["queued"], doc["counts"]["refused"]) == (2, 1, 1)


class Client:
    def __init__(self, app: App, session: aiohttp.ClientSession, token: str | None) -> None:
        self.base, self.session = app.http_url, session
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(
            method, self.base + path, json=body, headers=self.headers
        ) as response:
            return response.status, await response.json()


async def test_api_queues_a_campaign_for_supervisors_only(app_factory: AppFactory) -> None:
    async with app_factory(IVR_DIALER_ENABLED="false") as app, aiohttp.ClientSession() as s:
        sue = Client(app, s, await app.users.add_user("sue", ["supervisor"]))
        al = Client(app, s, await app.users.add_user("al", ["agent"], agent_id="a-1"))
        body = {"name": "margins.csv", "csv": HEADER + GOOD + BAD}
        assert (await Client(app, s, None).call("POST", "/api/campaigns", body))[0] == 401
        assert (await al.call("POST", "/api/campaigns", body))[0] == 403
        status, error = await sue.call("POST", "/api/campaigns", body)
        assert status == 400
        assert error["error"] == "invalid-campaign"
        assert error["details"]["errors"] == [
            {"line": 3, "field": "account", "reason": "not an account number: 4-20 digits only"},
            {
                "line": 3, "field": "phone",
                "reason": "not a telephone number: only digits, an optional leading +, spaces"
                " and hyphens",
            },
        ]  # fmt: skip
        assert await sue.call("GET", "/api/campaigns") == (200, {"campaigns": []})

        status, created = await sue.call("POST", "/api/campaigns", {**body, "csv": HEADER + GOOD})
        assert status == 201
        assert (created["kind"], created["name"], created["created_by"]) == (
            "margin_notice", "margins.csv", "sue",
        )  # fmt: skip
        assert (created["total"], created["counts"]["queued"]) == (1, 1)
        status, listed = await sue.call("GET", "/api/campaigns")
        assert [c["id"] for c in listed["campaigns"]] == [created["id"]]
        status, doc = await sue.call("GET", "/api/openapi.json")
        post = doc["paths"]["/api/campaigns"]["post"]
        assert sorted(post["x-roles"]) == ["admin", "supervisor"]
        assert "csv" in post["requestBody"]["content"]["application/json"]["schema"]["properties"]
