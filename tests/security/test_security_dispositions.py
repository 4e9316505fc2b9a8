"""A disposition is bound to the agent's own call: only the agent who answered a call may
wrap it up (another agent: 403 `not-your-call`; a made-up call id: 403), and the stored row
carries the real call's queue and caller from its SQL record."""

from __future__ import annotations

import aiohttp

from queueing.model import AgentProfile, AgentState
from queueing.policy import AgentId
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.security.conftest import AppFactory, Client

CALLER = "13900000777"


async def test_only_the_answering_agent_files_the_disposition_with_the_real_call(
    app_factory: AppFactory,
) -> None:
    async with app_factory() as app, aiohttp.ClientSession() as http:
        now = app.clock.now_s()
        for agent_id, endpoint in (("a1", "PJSIP/8001"), ("a2", "PJSIP/8003")):
            skills = {"general": 3, "mandarin": 3}
            profile = AgentProfile(AgentId(agent_id), agent_id, endpoint, skills)
            await app.queue_store.add_agent(profile, now)
        await app.queue_store.login(AgentId("a1"), now, ready=True)
        first = Client(app, http, await app.users.add_user("ann", ["agent"], "a1"))
        other = Client(app, http, await app.users.add_user("bo", ["agent"], "a2"))

        driver = await CallDriver.dial(app, caller=CALLER)
        await driver.run("1,0")  # Mandarin, an agent
        session = driver.session
        await until(lambda: session.outcome == "answered", timeout_s=30, what="a1 answered")
        driver.hang_up()
        await driver.ended()

        async def wrapping_up() -> bool:
            agent = await app.queue_store.get_agent(AgentId("a1"))
            return agent is not None and agent.state is AgentState.WRAP_UP

        await until(wrapping_up, timeout_s=20, what="a1 in wrap-up")
        path = f"/api/agents/me/calls/{driver.channel_id}/disposition"
        body = {"disposition": "resolved", "notes": "balance question"}
        status, answer = await other.call("POST", path, body)
        assert (status, answer["error"]) == (403, "not-your-call")
        status, answer = await first.call(
            "POST", "/api/agents/me/calls/c-made-up/disposition", body
        )
        assert (status, answer["error"]) == (403, "not-your-call")
        status, answer = await first.call("POST", path, body)
        assert status == 200, answer
        saved = answer["disposition"]
        assert (saved["call_id"], saved["queue"], saved["caller"]) == (
            driver.channel_id,
            "general",
            CALLER,
        )
