"""The post-call survey over real sockets (sandbox switch, redis-server, SQLite): the agent hangs
up first on a `survey: true` queue, the caller stays and answers; answers are SQL rows."""

from __future__ import annotations

import aiohttp

from ivr.app import App
from ivr.sandbox.model import BridgeId
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.outbound.test_outbound_load import Client
from tests.integration.surveys.conftest import (
    AGENT,
    SurveyApp,
    agent_leg,
    surveys,
    until_surveys,
)

CALLER = "13900000000"


async def bridged_call(app: App) -> CallDriver:
    """A hotline caller asks for an agent (`1,0` -> general) and is bridged to a-1."""
    driver = await CallDriver.dial(app, caller=CALLER)
    await driver.run("1,0")
    await until(lambda: driver.session.outcome == "answered", timeout_s=30, what="bridged")
    return driver


async def prompts_of(app: App, call_id: str) -> list[tuple[str, str]]:
    """(node, text) of every survey prompt the call's trace holds."""
    detail = await app.store.get_call(call_id)
    assert detail is not None
    return [
        (t.node, str(t.detail.get("text", "")))
        for t in detail.trace
        if t.detail.get("flow") == "survey" and t.kind == "prompt"
    ]


async def test_a_survey_after_an_agent_call_stores_its_score(survey_app: SurveyApp) -> None:
    async with survey_app() as app:
        assert app.switch is not None
        driver = await bridged_call(app)
        call_id = driver.session.call_id
        app.switch.hangup(agent_leg(app, driver.channel_id))  # the agent hangs up first
        await until_surveys(app, lambda rows: len(rows) == 1, "the survey offered")
        assert BridgeId(f"br-{driver.channel_id}") not in app.switch.bridges
        assert driver.channel_id in app.switch.channels  # the caller is still on the line
        await driver.press("4")
        await driver.press("1")
        transcript = await driver.ended()
        assert transcript.ended_by == "app"
        (row,) = await surveys(app)
        assert (row.call_id, row.channel, row.agent_id, row.queue) == (
            call_id, "inbound", AGENT.agent_id, "general",
        )  # fmt: skip
        assert (row.score, row.solved) == (4, True)
        assert row.answered_at is not None
        detail = await app.store.get_call(call_id)
        assert detail is not None
        assert detail.call.outcome == "answered"
        nodes = [n for n, _ in await prompts_of(app, call_id)]
        assert nodes == ["ask_score", "ask_solved", "thanks"]
        async with aiohttp.ClientSession() as http:
            sue = Client(app, http, await app.users.add_user("sue", ["supervisor"]))
            for by, key in (("agent", "a-1"), ("queue", "general"), ("day", "2026-01-05")):
                status, doc = await sue.call(
                    "GET", f"/api/reports/surveys?from=2026-01-05&to=2026-01-05&by={by}"
                )
                assert status == 200
                assert doc["groups"] == [{
                    "key": key, "offered": 1, "count": 1, "mean_score": 4.0,
                    "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
                    "solved_yes": 1, "solved_no": 0, "response_rate": 1.0,
                }]  # fmt: skip


async def test_the_caller_hanging_up_first_gets_no_survey(survey_app: SurveyApp) -> None:
    async with survey_app() as app:
        switch = app.switch
        assert switch is not None
        driver = await bridged_call(app)
        leg = agent_leg(app, driver.channel_id)
        driver.hang_up()
        await driver.ended()
        await until(lambda: leg not in switch.channels, what="the agent leg hung up")
        assert await surveys(app) == []
        agent = await app.queue_store.get_agent(AGENT.agent_id)
        assert agent is not None
        assert agent.calls_handled == 1


async def test_a_queue_without_survey_hangs_up_the_caller_as_before(
    survey_app: SurveyApp,
) -> None:
    async with survey_app(survey=False) as app:
        assert app.switch is not None
        driver = await bridged_call(app)
        call_id = driver.session.call_id
        app.switch.hangup(agent_leg(app, driver.channel_id))
        transcript = await driver.ended()
        assert transcript.ended_by == "app"
        assert await prompts_of(app, call_id) == []
        assert await surveys(app) == []


async def test_invalid_keys_are_asked_again_once_then_the_call_ends_politely(
    survey_app: SurveyApp,
) -> None:
    async with survey_app() as app:
        assert app.switch is not None
        driver = await bridged_call(app)
        call_id = driver.session.call_id
        app.switch.hangup(agent_leg(app, driver.channel_id))
        await until_surveys(app, lambda rows: len(rows) == 1, "the survey offered")
        await driver.press("9")  # not 1-5: asked again
        await driver.press("7")  # again wrong: the call ends politely
        await driver.ended()
        (row,) = await surveys(app)
        assert (row.score, row.solved, row.answered_at) == (None, None, None)  # offered only
        prompts = await prompts_of(app, call_id)
        assert [n for n, _ in prompts] == ["ask_score", "ask_score", "ask_score", "goodbye"]
        assert prompts[1][1] == "请按1到5之间的数字键。"


async def test_hanging_up_mid_survey_keeps_the_score(survey_app: SurveyApp) -> None:
    async with survey_app() as app:
        assert app.switch is not None
        driver = await bridged_call(app)
        app.switch.hangup(agent_leg(app, driver.channel_id))
        await until_surveys(app, lambda rows: len(rows) == 1, "the survey offered")
        await driver.press("2")
        await until_surveys(app, lambda rows: rows[0].score == 2, "the score stored")
        driver.hang_up()  # before the yes/no question is answered
        await driver.ended()
        (row,) = await surveys(app)
        assert (row.score, row.solved) == (2, None)
