"""Outbound survey campaigns over real sockets (sandbox switch, redis-server, SQLite): a survey
CSV is checked whole, each survey call dials the client through the trunk inside the survey
window, runs flows/survey.yaml, and its answers are rows with channel `outbound`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.cli import main
from ivr.outbound.campaigns import CampaignError
from ivr.outbound.service import load_survey_campaign
from ivr.sandbox import EndpointBehavior
from ivr.store.outbound import OutboundStore
from ivr.store.outbound_model import OutboundCallRow
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.outbound.test_outbound_dialer import alerts
from tests.integration.surveys.conftest import survey_config, surveys, until_surveys

SH = ZoneInfo("Asia/Shanghai")
HEADER = "phone,call_id,agent,queue\n"
ONE_YES = "13900000030,call-1,a-1,general\n"  # presses 1 every 4 s: score 1, solved yes
FOURS = "13900000041,call-2,a-2,vip\n"  # presses 4 every 4 s: score 4, then no valid yes/no
BAD = "8001@evil,../x,a 1,general\n"


async def test_a_survey_campaign_dials_runs_the_survey_and_stores_outbound_answers(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app:
        switch, dialer = app.switch, app.services.dialer
        assert switch is not None
        assert dialer is not None
        switch.endpoints["PJSIP/13900000041@carrier"] = EndpointBehavior(
            answer_after_s=2, press="4", press_every_s=4
        )
        store = OutboundStore(app.store.engine)
        with pytest.raises(CampaignError) as refused:
            await load_survey_campaign(
                store, (HEADER + ONE_YES + BAD).encode(), "s.csv", "sue", dialer.now()
            )
        assert str(refused.value).splitlines() == [
            "s.csv:3: phone: not a telephone number: only digits, an optional leading +, spaces"
            " and hyphens",
            "s.csv:3: call_id: not a call id: 1-128 of A-Z a-z 0-9 . _ -",
            "s.csv:3: agent: not an id: 1-64 of A-Z a-z 0-9 . _ -",
            "nothing from this file was queued: fix these lines and load it again",
        ]
        assert await store.status() == []
        campaign = await load_survey_campaign(
            store, (HEADER + ONE_YES + FOURS).encode(), "s.csv", "sue", dialer.now()
        )
        dialer.wake()
        rows = await until_surveys(
            app,
            lambda rows: len(rows) == 2 and all(r.score is not None for r in rows)
            and any(r.solved is not None for r in rows),
            "both surveys answered",
        )  # fmt: skip
        by_call = {r.call_id: r for r in rows}
        assert {c: (r.channel, r.agent_id, r.queue, r.score) for c, r in by_call.items()} == {
            "call-1": ("outbound", "a-1", "general", 1),
            "call-2": ("outbound", "a-2", "vip", 4),
        }
        assert by_call["call-1"].solved is True

        async def final() -> bool:
            views = await store.calls(campaign.id)
            return all(v.status == "confirmed" for v in views)

        await until(final, timeout_s=30, what="both survey calls final")
        assert by_call["call-2"].solved is None  # keys 4 are no yes/no: the partial answer stays
        (row,) = [r for r in await surveys(app) if r.call_id == "call-2"]
        assert row.solved is None
        originates = [r for r in switch.requests if r.method == "POST" and r.path == "/channels"]
        assert sorted(r.params["endpoint"] for r in originates) == [
            "PJSIP/13900000030@carrier", "PJSIP/13900000041@carrier",
        ]  # fmt: skip
        assert {r.params["callerId"] for r in originates} == {"95555"}


async def test_a_survey_due_at_22_is_held_until_9_the_next_trading_day(
    app_factory: AppFactory,
) -> None:
    monday_22 = datetime(2026, 1, 5, 22, 0, tzinfo=SH)
    async with app_factory(now=monday_22) as app:
        assert app.switch is not None
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        await load_survey_campaign(store, (HEADER + ONE_YES).encode(), "s.csv", "sue", dialer.now())
        dialer.wake()
        tuesday_9 = datetime(2026, 1, 6, 9, 0, tzinfo=SH).timestamp()

        async def held() -> bool:
            async with app.store.engine.connect() as db:
                next_at = await db.scalar(select(OutboundCallRow.next_at))
            return next_at == tuesday_9

        await until(held, timeout_s=20, what="the survey held until Tuesday 09:00")
        (campaign,) = await store.status()
        assert (campaign.kind, campaign.counts) == ("survey", {"queued": 1})
        assert not [r for r in app.switch.requests if r.path == "/channels"]


async def test_an_unanswered_survey_is_a_low_priority_item_without_an_alert(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    config = survey_config(tmp_path, survey=False)
    dialer_yaml = config / "dialer.yaml"
    text = dialer_yaml.read_text(encoding="utf-8")
    dialer_yaml.write_text(text.replace("    max_attempts: 2\n", "    max_attempts: 1\n"))
    async with app_factory(IVR_CONFIG_DIR=str(config)) as app:
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        silent = "13900000031,call-9,a-1,general\n"  # answers, presses nothing
        campaign = await load_survey_campaign(
            store, (HEADER + silent).encode(), "s.csv", "sue", dialer.now()
        )
        dialer.wake()

        async def final() -> bool:
            (view,) = await store.calls(campaign.id)
            return view.status == "unconfirmed"

        await until(final, timeout_s=30, what="the survey call final")
        (view,) = await store.calls(campaign.id)
        assert (view.account_masked, view.escalated) == ("", True)
        (row,) = await surveys(app)
        assert (row.call_id, row.channel, row.score, row.solved) == (
            "call-9", "outbound", None, None,
        )  # fmt: skip
        items = app.services.followups.store
        # the attempt is final in SQL first; its escalation (the item) follows
        [item] = await until(lambda: items.search(kind="survey"), what="the survey item")
        assert (item.priority, item.reason, item.account_masked) == (
            "low", "survey_unconfirmed", None,
        )  # fmt: skip
        assert [a["kind"] for a in await alerts(app)] == []  # nothing for a supervisor now


def test_cli_loads_a_survey_file_only_when_every_line_is_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IVR_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/ivr.db")
    path = tmp_path / "surveys.csv"
    path.write_text(HEADER + ONE_YES + ONE_YES, encoding="utf-8")
    assert main(["campaigns", "load", "--kind", "survey", str(path), "--by", "sue"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"ivr: {path}:3: call_id: same call as line 2",
        "nothing from this file was queued: fix these lines and load it again",
    ]
    path.write_text(HEADER + ONE_YES + FOURS, encoding="utf-8")
    assert main(["campaigns", "load", "--kind", "survey", str(path), "--by", "sue"]) == 0
    assert capsys.readouterr().out == "campaign 1: 2 surveys (queued=2)\n"
    assert main(["campaigns", "status"]) == 0
    assert capsys.readouterr().out == f"   1  survey  {path}  total=2  queued=2\n"
