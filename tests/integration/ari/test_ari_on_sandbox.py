"""The ARI client against the sandbox switch (real sockets): a call, replaced app, resync."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ivr.ari import (
    AriAppReplaced,
    AriEvent,
    AriEvents,
    AriRest,
    ChannelDtmfReceived,
    ChannelGone,
    ChannelId,
    Dispatcher,
    StasisEnd,
    StasisStart,
    resync,
)
from ivr.sandbox import SandboxConfig, SandboxSwitch, scenario_from_dict
from tests.helpers import until

APP = "futures-ivr"
USER, PASSWORD = "ivr", "sandbox-pw-42"


@pytest.fixture
async def apps(switch: SandboxSwitch) -> AsyncIterator[list[MiniApp]]:
    made: list[MiniApp] = []
    try:
        yield made
    finally:
        for app in made:
            await app.stop()


@pytest.fixture
async def switch() -> AsyncIterator[SandboxSwitch]:
    sw = SandboxSwitch(SandboxConfig(username=USER, password=PASSWORD, speed=50.0))
    await sw.start()
    try:
        yield sw
    finally:
        await sw.stop()


async def no_wait(delay_s: float) -> None:
    """Injected reconnect sleep: reconnect at once (the backoff itself is tested elsewhere)."""


class MiniApp:
    """The smallest app: answer, hang up on '1'; per-call event log through the dispatcher."""

    def __init__(self, switch: SandboxSwitch, **events_kw) -> None:
        self.rest = AriRest(switch.ari_url, USER, PASSWORD)
        events_kw.setdefault("sleep", no_wait)
        self.events = AriEvents(switch.ari_url, USER, PASSWORD, APP, **events_kw)
        self.dispatcher = Dispatcher(self.handle)
        self.log: dict[str, list[str]] = {}
        self.task: asyncio.Task[None] | None = None

    def on_event(self, event: AriEvent) -> None:
        if self.dispatcher.dispatch(event) is None and isinstance(event, StasisStart):
            self.dispatcher.open_call(event.channel.id)
            self.dispatcher.dispatch(event, event.channel.id)

    async def handle(self, key: str, event: AriEvent) -> None:
        self.log.setdefault(key, []).append(event.type)
        if isinstance(event, StasisStart):
            await self.rest.answer(ChannelId(key))
        elif isinstance(event, ChannelDtmfReceived) and event.digit == "1":
            await self.rest.hangup(ChannelId(key))
        elif isinstance(event, StasisEnd):
            self.dispatcher.finish(key)

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self.events.run(self.on_event))
        return self.task

    async def stop(self) -> None:
        await self.events.close()
        await self.dispatcher.aclose()
        await self.rest.close()


async def test_a_call_answered_and_hung_up_through_the_client(
    switch: SandboxSwitch, apps: list[MiniApp]
) -> None:
    app = MiniApp(switch)
    apps.append(app)
    app.start()
    await until(lambda: app.events.connected.is_set(), what="app connected")
    scenario = scenario_from_dict(
        {"dialed": "95555", "caller": "13800000001", "steps": [{"wait": 1}, {"press": "1"}]}
    )
    call = await switch.place_call(scenario)
    transcript = await call.finished(timeout_s=5)
    assert transcript.ended_by == "app"
    await until(lambda: not app.dispatcher.active_calls, what="call lane ended")
    [types] = app.log.values()
    assert types[0] == "StasisStart"
    assert types[-1] == "StasisEnd"
    assert types.index("ChannelDtmfReceived") < types.index("StasisEnd")
    with pytest.raises(ChannelGone):
        await app.rest.answer(ChannelId(transcript.channel_id))


async def test_a_second_consumer_on_the_same_app_name_replaces_the_first(
    switch: SandboxSwitch, apps: list[MiniApp]
) -> None:
    first, second = MiniApp(switch), MiniApp(switch)
    apps += [first, second]
    first_task = first.start()
    await until(lambda: first.events.connected.is_set(), what="first connected")
    second.start()
    with pytest.raises(AriAppReplaced):
        await asyncio.wait_for(first_task, 5)
    assert first.events.replaced.is_set()
    assert not second.events.replaced.is_set()


async def test_after_a_websocket_drop_resync_keeps_the_live_call(
    switch: SandboxSwitch, apps: list[MiniApp]
) -> None:
    app = MiniApp(switch)
    apps.append(app)
    resyncs: list[tuple[set[ChannelId], set[ChannelId]]] = []

    async def on_connected() -> None:
        active = [ChannelId(k) for k in app.dispatcher.active_calls] + [ChannelId("ended-call")]
        resyncs.append(await resync(app.rest, APP, active))

    app.events.on_connected = on_connected
    app.start()
    await until(lambda: resyncs, what="first resync")
    scenario = scenario_from_dict({"dialed": "95555", "steps": [{"wait": 50}, {"press": "1"}]})
    call = await switch.place_call(scenario)
    await until(lambda: app.dispatcher.active_calls, what="call started")
    await switch.drop_websockets()
    await until(lambda: len(resyncs) == 2, what="resync after reconnect")
    assert not call.done  # the '1' comes 1 s (real) later, after the reconnect
    live = ChannelId(call.transcript.channel_id)
    assert resyncs[1] == ({live}, {ChannelId("ended-call")})
    transcript = await call.finished(timeout_s=5)
    assert transcript.ended_by == "app"  # the '1' pressed after the reconnect still reached us
