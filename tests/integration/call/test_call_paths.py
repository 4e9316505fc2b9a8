"""Every DTMF journey of the shipped flows, end to end over real sockets.

The journeys are the scripted paths of `tests/unit/flows/test_flows_paths.py` (the catalogue
that reaches every node in the simulator). Here each one that needs only keys and silence runs
as a real call: sandbox switch -> ARI websocket -> call session -> engine -> ARI requests,
with lookups answered by the SQL demo back office and queues in a real Redis. All the journeys
of one test run concurrently in one app process.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ivr.app import App
from queueing.policy import CallKey
from tests.helpers import until
from tests.integration.call.conftest import AppFactory
from tests.integration.call.driver import CallDriver
from tests.unit.flows.test_flows_paths import PATHS

DTMF_ONLY = {
    name: (call, expected)
    for name, (call, expected) in PATHS.items()
    if not call.answers
    and "say:" not in call.inputs
    and "queue:" not in call.inputs
    and call.now.hour == 10
    and call.language is None
}


def dialed_for(app: App, call: Any) -> str:
    """The simulator starts a journey in its flow; a real caller dials that flow's number."""
    flows = app.flows()
    if flows.flow_for_number(call.dialed) == call.flow:
        return str(call.dialed)
    return flows.flows[call.flow].numbers[0]


async def _journey(app: App, call: Any, expected: dict[str, object]) -> str | None:
    """Run one journey; None when it ended as the simulator said, else what went wrong."""
    driver = await CallDriver.dial(app, dialed=dialed_for(app, call), caller=call.caller)
    await driver.run(call.inputs)
    kind = expected["outcome"]
    if kind == "hangup":
        transcript = await driver.ended()
        problem = None if transcript.ended_by == "app" else f"ended by {transcript.ended_by}"
    elif kind == "queued":
        waiting = await until(
            lambda: app.queue_store.get_call(CallKey(driver.channel_id)),
            what="the call in the Redis queue",
        )
        got = waiting.queue
        problem = None if got == expected["queue"] else f"queued in {got}"
        driver.hang_up()
        await driver.ended()
    else:  # waiting for input at the expected node
        await driver.waiting_for_input()
        node = driver.session.state.node if driver.session.state else None
        problem = None if node == expected["node"] else f"waiting at {node}"
        driver.hang_up()
        await driver.ended()
    return problem


async def test_every_dtmf_journey_ends_as_simulated(app_factory: AppFactory) -> None:
    assert len(DTMF_ONLY) >= 20  # the catalogue keeps most journeys key-only
    async with app_factory() as app:
        names = list(DTMF_ONLY)
        results = await asyncio.gather(
            *(_journey(app, *DTMF_ONLY[name]) for name in names), return_exceptions=True
        )
        failures = {n: r for n, r in zip(names, results, strict=True) if r is not None}
        assert failures == {}
        assert app.sessions == {}
        assert app.queue_store is not None
        assert await app.queue_store.waiting_calls() == []


@pytest.mark.parametrize("name", ["emergency by key", "three wrong pins"])
async def test_emergency_journeys_record_their_outcome(app_factory: AppFactory, name: str) -> None:
    call, expected = PATHS[name]
    async with app_factory() as app:
        driver = await CallDriver.dial(app, dialed=dialed_for(app, call), caller=call.caller)
        await driver.run(call.inputs)
        waiting = await until(
            lambda: app.queue_store.get_call(CallKey(driver.channel_id)),
            what="the call in the Redis queue",
        )
        assert (waiting.queue, waiting.priority.value) == ("trading_desk", "emergency")
        assert "123456" not in str(waiting.info)  # the PIN never reaches the screen pop
        driver.hang_up()
        await driver.ended()
        detail = await app.store.find_by_channel(driver.channel_id)
        assert detail is not None
        assert (detail.call.queue, detail.call.priority) == ("trading_desk", "emergency")
        assert detail.call.outcome == "abandoned"
        assert all("123456" not in str(t.detail) for t in detail.trace)
        assert expected["queue"] == "trading_desk"
