"""Ownership and recovery over a real redis-server and SQLite: what a dead instance owned is
reclaimed once its lease expired, and nothing of a live instance is touched.

A dead instance ("gone") had three calls: one bridged to an agent (the agent `on_call`), one
waiting, one callback request waiting for its turn; their callers' channels are gone from the
switch. Its lease ran out 20 s ago. One beat of the running app reclaims them.
"""

from __future__ import annotations

from ivr.app import App
from ivr.sandbox.model import BridgeId
from queueing.config import PriorityClass
from queueing.leases import Leases
from queueing.model import AgentProfile, AgentState, Offer
from queueing.policy import AgentId, CallKey
from tests.helpers import until
from tests.integration.call.driver import CallDriver
from tests.integration.waiting.conftest import WaitingApp

AGENT = AgentId("gen-9")


async def stage_dead_instance(app: App, instance: str, lease_until_s: float) -> list[str]:
    """Calls `<instance>-talk` (bridged, agent on call), `-wait`, `-cb` (a callback) in Redis,
    their rows open in SQL, owned by `instance` whose lease lasts until `lease_until_s`."""
    store, now = app.queue_store, app.clock.now_s()
    talk, wait, cb = (f"{instance}-{n}" for n in ("talk", "wait", "cb"))
    for n, key in enumerate((talk, wait, cb)):
        await store.enqueue(CallKey(key), "general", PriorityClass.NORMAL, now - 50 + n)
        await app.store.create_call(
            channel_id=key, caller="139", dialed="400", language="zh-CN", flow="hotline"
        )
    await store.request_callback(CallKey(cb), "13900000009", now)
    agent = AgentProfile(AGENT, "王芳", "PJSIP/8009", {"general": 2})
    await store.add_agent(agent, now)
    await store.login(AGENT, now, ready=True)
    offer = Offer(CallKey(talk), AGENT, "PJSIP/8009", "general", now + 30)
    assert await store.reserve([offer], now) == [offer]
    await store.answer(CallKey(talk), AGENT, now)
    dead = Leases(store.client, instance, prefix=store.prefix)
    await dead.renew(lease_until_s - dead.lease_s)
    for key in (talk, wait, cb):
        await dead.own(key)
    return [talk, wait, cb]


async def outcomes(app: App, keys: list[str]) -> list[tuple[str | None, bool]]:
    await app.call_records.flush()  # rows are closed through the write-behind writer
    summaries = {c.channel_id: c for c in await app.store.list_calls(limit=100)}
    return [(summaries[k].outcome, summaries[k].ended_at is not None) for k in keys]


async def test_an_expired_instance_is_reclaimed_agent_freed_rows_closed_once(
    waiting_app: WaitingApp,
) -> None:
    async with waiting_app() as app:
        store, recovery = app.queue_store, app.services.recovery
        recovery.reclaimed.clear()  # at start it settled the previous test's leftovers
        await recovery.beat()  # this instance's own lease (the test flushed Redis)
        talk, wait, cb = await stage_dead_instance(app, "gone", app.clock.now_s() - 20)
        agent = await store.get_agent(AGENT)
        assert agent is not None
        assert agent.state is AgentState.ON_CALL

        await recovery.beat()

        agent = await store.get_agent(AGENT)
        assert agent is not None
        assert agent.state is AgentState.WRAP_UP  # released
        await store.set_not_ready(AGENT, "break", app.clock.now_s())  # usable: no AgentBusy
        assert await store.get_call(CallKey(talk)) is None
        assert await store.get_call(CallKey(wait)) is None  # its channel is gone
        kept = await store.get_call(CallKey(cb))
        assert kept is not None
        assert kept.callback_number == "13900000009"
        assert app.handoff.holds(cb)  # held here: dialled from here when an agent is free
        assert await outcomes(app, [talk, wait, cb]) == [("lost", True)] * 3
        assert sorted(recovery.reclaimed) == sorted([talk, wait, cb])
        assert cb in await recovery.leases.owned()  # the callback is ours now
        assert await recovery.leases.owned("gone") == set()

        await recovery.beat()  # nothing twice
        assert sorted(recovery.reclaimed) == sorted([talk, wait, cb])
        removed = [e.fields for e in await store.events() if e.type == "call_removed"]
        assert [(f["call_id"], f["outcome"]) for f in removed] == [(wait, "lost")]


async def test_a_live_lease_is_left_alone(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        store, recovery = app.queue_store, app.services.recovery
        recovery.reclaimed.clear()  # at start it settled the previous test's leftovers
        # a lease well ahead: at speed 50, 5 clock seconds pass in 0.1 s of a loaded machine
        talk, wait, cb = await stage_dead_instance(app, "alive", app.clock.now_s() + 500)
        await recovery.beat()
        assert recovery.reclaimed == []
        agent = await store.get_agent(AGENT)
        assert agent is not None
        assert agent.state is AgentState.ON_CALL
        assert await recovery.leases.owned("alive") == {talk, wait, cb}
        assert await outcomes(app, [talk, wait, cb]) == [(None, False)] * 3


async def test_a_call_is_owned_while_it_runs(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        recovery = app.services.recovery
        driver = await CallDriver.dial(app, caller="13900000000")
        await until(
            lambda: _owns(app, driver.channel_id), timeout_s=10, what="the call owned by us"
        )
        driver.hang_up()
        await driver.ended()

        async def disowned() -> bool:
            return driver.channel_id not in await recovery.leases.owned()

        await until(disowned, timeout_s=10, what="the ended call no longer owned")


async def _owns(app: App, key: str) -> bool:
    return key in await app.services.recovery.leases.owned()


async def test_a_reclaimed_callback_is_dialled_by_its_new_owner(waiting_app: WaitingApp) -> None:
    async with waiting_app() as app:
        store, recovery = app.queue_store, app.services.recovery
        await recovery.beat()
        _talk, _wait, cb = await stage_dead_instance(app, "gone", app.clock.now_s() - 20)
        await recovery.beat()  # reclaimed: the callback kept in line, held here
        agent = AgentProfile(AgentId("gen-7"), "赵敏", "PJSIP/8007", {"mandarin": 2, "general": 2})
        await store.add_agent(agent, app.clock.now_s())
        await store.login(agent.agent_id, app.clock.now_s(), ready=True)
        assert app.switch is not None
        switch = app.switch
        bridge = f"br-{cb}"
        client = f"callback-{cb}"

        def bridged() -> bool:
            found = switch.bridges.get(BridgeId(bridge))
            return found is not None and client in found.channels and len(found.channels) == 2

        await until(bridged, timeout_s=20, what="the agent and the client in one bridge")
        dialled = [
            r.params for r in switch.requests if r.method == "POST" and r.path == "/channels"
        ]
        assert [p.get("appArgs") for p in dialled] == [f"agent,{cb}", f"callback,{cb}"]
        assert dialled[1].get("endpoint", "").endswith("13900000009")
        switch.hangup(client)
        await until(lambda: not app.handoff.holds(cb), timeout_s=20, what="the callback over")
        record = await store.get_agent(agent.agent_id)
        assert record is not None
        assert record.state is AgentState.WRAP_UP
