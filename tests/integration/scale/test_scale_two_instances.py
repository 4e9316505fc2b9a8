"""Two app instances on one switch, one Redis and one SQL database, sharing ten agents.

The sandbox switch serves two ARI app names and splits the calls between them in turn (as the
dialplan does); each instance routes the calls it holds, the agents are matched across both
(`ivr.queue.dialer`), and an instance that stops leaves the other taking every new call.
Every caller goes to the general queue; each agent phone answers at once and its person hangs
up `TALK_S` switch seconds after being bridged with the caller (a phone that hung up a fixed
time after answering failed the bridge whenever a loaded machine took longer than that, 0.75 s
of wall time at 20x, and the call went back in line).
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from ivr.app import App
from ivr.clock import Clock
from ivr.queue.dialer import FOREIGN_GRACE_S, margin_s
from ivr.sandbox import EndpointBehavior, SandboxConfig, SandboxSwitch
from ivr.sandbox.caller import ScenarioCall
from ivr.sandbox.scenario import Hangup, Press, Scenario, Wait, WaitFor
from ivr.settings import load_settings
from queueing.model import AgentProfile, AgentState
from queueing.policy import AgentId
from tests.integration.call.conftest import MONDAY_10AM, ROOT, tts_cache  # noqa: F401

SPEED = 20.0
AGENTS = 10
CALLS = 200
LATE_CALLS = 20
TALK_S = 15.0  # switch seconds each agent talks once bridged with its caller
APPS = ("ivr-a", "ivr-b")
PROMPT = WaitFor("prompt_start")
STEPS = (PROMPT, Press("1"), PROMPT, PROMPT, PROMPT, Wait(1), Press("0"), Wait(1200), Hangup())


def config_dir(tmp: Path) -> Path:
    """The shipped config with a one-second wrap-up (agents turn over quickly)."""
    target = tmp / "config"
    shutil.copytree(ROOT / "config", target)
    queues = target / "queues.yaml"
    text = queues.read_text(encoding="utf-8")
    queues.write_text(text.replace("wrap_up_s: 30", "wrap_up_s: 1", 1), encoding="utf-8")
    return target


async def start_app(
    name: str, switch: SandboxSwitch, tmp: Path, redis_url: str, cache: Path
) -> App:
    environ = {
        "IVR_ARI_URL": switch.ari_url, "IVR_ARI_USERNAME": "t", "IVR_ARI_PASSWORD": "pw",
        "IVR_ARI_APP": name, "IVR_HTTP_PORT": "0", "IVR_REDIS_URL": redis_url,
        "IVR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/ivr.db", "IVR_TTS_CACHE": str(cache),
        "IVR_RECORDINGS_DIR": str(tmp / name / "recordings"), "IVR_FLOWS_DIR": str(ROOT / "flows"),
        "IVR_CONFIG_DIR": str(config_dir(tmp / name)), "IVR_DIALER_ENABLED": "false",
    }  # fmt: skip
    settings = load_settings(ROOT / "config" / "settings.yaml", environ)
    return await App.start(settings, tmp / name, clock=Clock(speed=SPEED, fixed_now=MONDAY_10AM))


async def place(switch: SandboxSwitch, n: int, first: int, spacing_s: float) -> list[ScenarioCall]:
    calls = []
    for i in range(n):
        scenario = Scenario(dialed="95555", caller=f"1390{first + i:07d}", steps=STEPS)
        calls.append(await switch.place_call(scenario))
        await switch.clock.sleep(spacing_s)
    return calls


def inbound_apps(switch: SandboxSwitch) -> Counter[str]:
    """How many callers each app name took (their StasisStart, no appArgs)."""
    return Counter(
        str(e.event["application"])
        for e in switch.hub.log
        if e.event["type"] == "StasisStart" and not e.event.get("args")
    )


async def queue_events(app: App) -> list[tuple[str, dict[str, str]]]:
    out: list[tuple[str, dict[str, str]]] = []
    after = "0"
    while batch := await app.queue_store.events(after=after, count=5000):
        out.extend((e.type, dict(e.fields)) for e in batch)
        after = batch[-1].event_id
    return out


def double_bookings(events: list[tuple[str, dict[str, str]]]) -> int:
    holding: dict[str, str] = {}
    offered: set[str] = set()
    doubles = 0
    for kind, fields in events:
        agent, call = fields.get("agent_id", ""), fields.get("call_id", "")
        if kind == "call_offered":
            doubles += agent in holding or call in offered
            holding[agent] = call
            offered.add(call)
        elif kind == "agent_state" and fields.get("state") in ("ready", "wrap_up", "not_ready"):
            holding.pop(agent, None)
    return doubles


def order_inversions(
    events: list[tuple[str, dict[str, str]]], slack_s: float, grace_s: float
) -> list[str]:
    """Offers to a call while one queued more than `slack_s` before it still waited and was
    still waiting `grace_s` later (FIFO across both instances: every caller is a normal caller
    of the same queue), each described. Each instance reserves its own calls' pairs of a
    routing round on its own pass, so offers of one round reach the stream in either order:
    an older call offered within `grace_s` after a younger one was served in the same round.
    """
    # call -> (stream position, clock time) of each time it stopped waiting (offered, removed):
    # positions, not times, order them (an instance's `at` is its clock when it sent the
    # script, so two instances' entries may land in the other order)
    stops: dict[str, list[tuple[int, float]]] = {}
    history: dict[str, list[str]] = {}  # call -> its events (shown with an inversion)
    for n, (kind, fields) in enumerate(events):
        call = fields.get("call_id", "")
        if kind in ("call_offered", "call_removed"):
            stops.setdefault(call, []).append((n, float(fields["at"])))
        if call:
            history.setdefault(call, []).append(f"{kind}@{float(fields['at']):.1f}")

    def waits_until(call: str, after: int) -> float:
        return next((t for n, t in stops.get(call, []) if n > after), float("inf"))

    queued_at: dict[str, float] = {}
    waiting: dict[str, float] = {}
    inversions: list[str] = []
    for n, (kind, fields) in enumerate(events):
        call = fields.get("call_id", "")
        if kind == "call_queued":
            queued_at[call] = waiting[call] = float(fields["at"])
        elif kind == "call_offered" and call in waiting:
            mine, at = waiting.pop(call), float(fields["at"])
            older = [
                (t, other, waits_until(other, n))
                for other, t in waiting.items()
                if t + slack_s < mine and waits_until(other, n) > at + grace_s
            ]
            if older:
                t, other, until = min(older)
                inversions.append(
                    f"{call} (queued {mine:.1f}) offered at {at:.1f} to {fields['agent_id']}"
                    f" while {other} (queued {t:.1f}) waited until {until:.1f}:"
                    f" {' '.join(history[other])}"
                )
        elif kind == "call_requeued" and call in queued_at:
            waiting[call] = queued_at[call]  # back at the head of its class, same wait
        elif kind == "call_removed":
            waiting.pop(call, None)
    return inversions


@pytest.fixture
async def stack(
    tmp_path: Path,
    redis_server: str,
    tts_cache: Path,  # noqa: F811
) -> AsyncIterator[tuple[SandboxSwitch, list[App]]]:
    async with AsyncExitStack() as stack:
        switch = SandboxSwitch(
            SandboxConfig(
                username="t",
                password="pw",
                speed=SPEED,
                stasis_apps=APPS,
                recordings_dir=tmp_path / "switch-recordings",
            )
        )
        await switch.start()
        stack.push_async_callback(switch.stop)
        for n in range(AGENTS):
            switch.endpoints[f"PJSIP/81{n:02d}"] = EndpointBehavior(talk_s=TALK_S)
        apps: list[App] = []
        for name in APPS:
            app = await start_app(name, switch, tmp_path, redis_server, tts_cache)
            stack.push_async_callback(app.stop)
            if not apps:
                await app.queue_store.client.flushdb()
            apps.append(app)
        yield switch, apps


async def test_two_instances_share_agents_and_one_stopping_leaves_the_other(
    stack: tuple[SandboxSwitch, list[App]],
) -> None:
    switch, (app_a, app_b) = stack
    store, now = app_a.queue_store, app_a.clock.now_s()
    for n in range(AGENTS):
        agent = AgentProfile(
            AgentId(f"a{n}"),
            f"Agent {n}",
            f"PJSIP/81{n:02d}",
            {"general": 2, "mandarin": 2, "account": 2},
        )
        await store.add_agent(agent, now)
        await store.login(agent.agent_id, now, ready=True)

    calls = await place(switch, CALLS, 0, spacing_s=1.0)
    async with asyncio.timeout(600):
        for call in calls:
            await call.finished(600)
    taken = inbound_apps(switch)
    assert taken["ivr-a"] >= CALLS // 2 - 1
    assert taken["ivr-b"] >= CALLS // 2 - 1
    events = await queue_events(app_a)
    assert sum(kind == "call_answered" for kind, _ in events) == CALLS
    assert double_bookings(events) == 0
    # FIFO across both instances: no call offered while one queued 10 s before it is left
    # waiting longer than an agent waits for the other instance to reserve its own pair of
    # the same routing round (`margin_s(FOREIGN_GRACE_S)`: 2 s of wall time, 40 switch s here)
    grace_s = margin_s(app_a.clock, FOREIGN_GRACE_S)
    assert order_inversions(events, slack_s=10.0, grace_s=grace_s) == []

    await app_a.stop()  # one instance goes: the other takes every new call
    late = await place(switch, LATE_CALLS, CALLS, spacing_s=1.0)
    async with asyncio.timeout(300):
        for call in late:
            await call.finished(300)
    assert inbound_apps(switch)["ivr-b"] == taken["ivr-b"] + LATE_CALLS
    after = await queue_events(app_b)
    assert sum(kind == "call_answered" for kind, _ in after) == CALLS + LATE_CALLS
    assert double_bookings(after) == 0
    for n in range(AGENTS):  # nobody stuck: every agent free again
        record = await app_b.queue_store.get_agent(AgentId(f"a{n}"))
        assert record is not None
        assert record.state in (AgentState.READY, AgentState.WRAP_UP), (n, record.state)
