"""`GET /api/reports/surveys` over HTTP: roles, strict query parsing (400 naming the field),
groups and totals, and its OpenAPI entry."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp

from ivr.store.surveys import SurveyStore
from tests.integration.call.conftest import AppFactory
from tests.integration.outbound.test_outbound_load import Client

SH = ZoneInfo("Asia/Shanghai")
PATH = "/api/reports/surveys"


async def test_the_report_by_roles_with_strict_dates(app_factory: AppFactory) -> None:
    async with app_factory(IVR_DIALER_ENABLED="false") as app, aiohttp.ClientSession() as s:
        store = SurveyStore(app.store.engine)
        await store.offered(
            "c1", "inbound", "a-1", "general", datetime(2026, 1, 4, 23, 0, tzinfo=SH)
        )
        await store.answered("c1", "inbound", datetime(2026, 1, 4, 23, 1, tzinfo=SH), score=5)
        await store.offered("c2", "inbound", "a-2", "vip", datetime(2026, 1, 5, 0, 30, tzinfo=SH))
        await store.answered(
            "c2", "inbound", datetime(2026, 1, 5, 0, 31, tzinfo=SH), score=2, solved=False
        )
        await store.offered("c3", "outbound", None, None, datetime(2026, 1, 5, 9, 0, tzinfo=SH))
        users = app.users
        sue = Client(app, s, await users.add_user("sue", ["supervisor"]))
        cora = Client(app, s, await users.add_user("cora", ["compliance"]))
        al = Client(app, s, await users.add_user("al", ["agent"], agent_id="a-1"))
        assert (await Client(app, s, None).call("GET", PATH))[0] == 401
        assert (await al.call("GET", PATH))[0] == 403

        status, today = await cora.call("GET", PATH)  # today (2026-01-05) by day
        assert status == 200
        assert (today["from"], today["to"], today["by"]) == ("2026-01-05", "2026-01-05", "day")
        assert [(g["key"], g["offered"], g["count"]) for g in today["groups"]] == [
            ("2026-01-05", 2, 1)
        ]
        assert (today["total"]["response_rate"], today["total"]["solved_no"]) == (0.5, 1)

        status, two = await sue.call("GET", f"{PATH}?from=2026-01-04&to=2026-01-05&by=queue")
        assert status == 200
        assert [(g["key"], g["count"], g["mean_score"]) for g in two["groups"]] == [
            ("-", 0, None), ("general", 1, 5.0), ("vip", 1, 2.0),
        ]  # fmt: skip
        assert (two["total"]["count"], two["total"]["mean_score"]) == (2, 3.5)

        for query, field, message in (
            ("from=2026-1-4", "from", "'from' must be a date written YYYY-MM-DD, e.g. 2026-12-05"),
            ("to=2026-02-30", "to", "'to' must be a date written YYYY-MM-DD, e.g. 2026-12-05"),
            ("from=２０２６-01-04", "from",
             "'from' must be a date written YYYY-MM-DD, e.g. 2026-12-05"),
            ("from=2026-01-06&to=2026-01-05", "from", "'from' must not be after 'to'"),
            ("from=2024-01-01&to=2026-01-05", "to", "'to' must be within 366 days of 'from'"),
            ("by=week", "by", "'by' must be one of day, agent, queue"),
        ):  # fmt: skip
            status, error = await sue.call("GET", f"{PATH}?{query}")
            assert status == 400, query
            assert (error["error"], error["message"]) == ("invalid-query", message), query
            assert error.get("field", error.get("details", {}).get("field")) == field

        status, doc = await sue.call("GET", "/api/openapi.json")
        get = doc["paths"][PATH]["get"]
        assert sorted(get["x-roles"]) == ["admin", "compliance", "supervisor"]
        assert [p["name"] for p in get["parameters"]] == ["from", "to", "by"]
