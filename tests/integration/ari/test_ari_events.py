"""AriEvents against a scripted ARI websocket: reconnect, resync hook, replaced, 401, close."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import pytest

from ivr.ari import (
    AriAppReplaced,
    AriEvent,
    AriEvents,
    AriRest,
    AriUnauthorized,
    ChannelId,
    StasisEnd,
    StasisStart,
    UnknownEvent,
    resync,
)
from tests.helpers import until
from tests.integration.ari.ari_fake import (
    PASSWORD,
    USERNAME,
    FakeAri,
    channel_json,
    event_json,
)

APP = "futures-ivr"


class Sleeps:
    """Injected sleep: records each delay; returns at once unless `block` is set."""

    def __init__(self, *, block: bool = False) -> None:
        self.delays: list[float] = []
        self.block = block

    async def __call__(self, delay_s: float) -> None:
        self.delays.append(delay_s)
        if self.block:
            await asyncio.Event().wait()  # until cancelled by close()
        await asyncio.sleep(0)


class Harness:
    def __init__(self, server: FakeAri, **kw) -> None:
        self.received: list[AriEvent] = []
        self.connected_calls = 0
        self.sleeps: Sleeps = kw.pop("sleep", Sleeps())
        self.events = AriEvents(
            server.base_url,
            kw.pop("username", USERNAME),
            PASSWORD,
            APP,
            on_connected=self._on_connected,
            sleep=self.sleeps,
            rng=kw.pop("rng", random.Random(7)),
            **kw,
        )
        self.task: asyncio.Task[None] | None = None

    async def _on_connected(self) -> None:
        self.connected_calls += 1

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self.events.run(self.received.append))
        return self.task

    async def stop(self) -> None:
        await self.events.close()
        if self.task is not None:
            await asyncio.wait({self.task}, timeout=2)


@pytest.fixture
async def harness(fake_ari: FakeAri):
    made: list[Harness] = []

    def make(**kw) -> Harness:
        h = Harness(fake_ari, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.stop()


def stasis_start(channel_id: str, **extra: Any) -> dict[str, Any]:
    return event_json("StasisStart", args=[], channel=channel_json(channel_id), **extra)


async def test_connects_with_auth_header_and_delivers_events_in_order(
    fake_ari: FakeAri, harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = harness()
    h.start()
    await until(lambda: fake_ari.live, what="socket connected")
    await fake_ari.send(stasis_start("c1"))
    await fake_ari.send(event_json("StasisEnd", channel=channel_json("c1", state="Up")))
    await until(lambda: len(h.received) == 2, what="two events")
    assert [type(e) for e in h.received] == [StasisStart, StasisEnd]
    assert h.received[0].channel.id == "c1"
    assert h.connected_calls == 1
    [seen] = fake_ari.seen
    assert seen.query == {"app": APP, "subscribeAll": "false"}
    assert seen.authorization is not None
    assert seen.authorization.startswith("Basic ")
    assert "api_key" not in seen.query_string
    assert PASSWORD not in caplog.text


async def test_unknown_event_types_extra_fields_and_bad_messages_are_tolerated(
    fake_ari: FakeAri, harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness()
    h.start()
    await until(lambda: fake_ari.live, what="socket connected")
    await fake_ari.send(event_json("ChannelTalkingStarted", channel=channel_json("c1")))
    await fake_ari.send_raw("not json")
    await fake_ari.send(event_json("ChannelDtmfReceived", channel=channel_json("c1")))  # no digit
    await fake_ari.send(stasis_start("c2", brand_new_field={"x": 1}))
    await until(lambda: len(h.received) == 2, what="two events")
    unknown, start = h.received
    assert isinstance(unknown, UnknownEvent)
    assert unknown.type == "ChannelTalkingStarted"
    assert isinstance(start, StasisStart)
    assert start.channel.id == "c2"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "ARI events app=futures-ivr: dropping a non-JSON message" in warnings
    assert "dropping ARI ChannelDtmfReceived event: missing field 'digit'" in warnings


async def test_a_failing_handler_never_kills_the_reader(fake_ari: FakeAri, harness) -> None:
    h = harness()
    seen: list[str] = []

    def handler(event: AriEvent) -> None:
        seen.append(event.type)
        if len(seen) == 1:
            raise RuntimeError("bug in the app")

    task = asyncio.create_task(h.events.run(handler))
    await until(lambda: fake_ari.live, what="socket connected")
    await fake_ari.send(stasis_start("c1"))
    await fake_ari.send(stasis_start("c2"))
    await until(lambda: len(seen) == 2, what="second event after the failure")
    assert not task.done()
    await h.events.close()
    await asyncio.wait_for(task, 2)


async def test_server_close_reconnects_after_backoff_and_fires_on_connected_again(
    fake_ari: FakeAri, harness
) -> None:
    h = harness()
    h.start()
    await until(lambda: h.connected_calls == 1, what="first connection")
    await fake_ari.drop()
    await until(lambda: h.connected_calls == 2, what="reconnected")
    assert fake_ari.ws_attempts == 2
    assert len(h.sleeps.delays) == 1
    assert 0 <= h.sleeps.delays[0] <= 0.5
    assert h.events.connections == 2
    await fake_ari.send(stasis_start("c9"))
    await until(lambda: h.received, what="event on the new socket")


async def test_backoff_delays_are_capped_jittered_and_growing(fake_ari: FakeAri, harness) -> None:
    fake_ari.ws_reject = [503] * 7
    h = harness(backoff_initial_s=1.0, backoff_max_s=4.0, backoff_min_s=0.0)
    h.start()
    await until(lambda: h.connected_calls == 1, what="connected after 7 refusals")
    delays = h.sleeps.delays
    caps = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert len(delays) == 7
    assert all(0 <= d <= cap for d, cap in zip(delays, caps, strict=True))
    assert len(set(delays)) == 7  # jittered: no two equal
    assert max(delays[2:]) > 2.0  # grows beyond the first caps


async def test_an_outage_logs_one_warning_when_it_starts_and_one_line_when_it_ends(
    fake_ari: FakeAri, harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.ari.events")
    h = harness()
    h.start()
    await until(lambda: h.connected_calls == 1, what="first connection")
    fake_ari.ws_reject = [503] * 7
    await fake_ari.drop()
    await until(lambda: h.connected_calls == 2, what="reconnected after 7 refusals")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "ivr.ari.events"]
    assert lines[0] == ("INFO", "ARI events app=futures-ivr connected")
    assert lines[1][0] == "WARNING"
    assert lines[1][1].startswith("ARI events app=futures-ivr: socket lost (")
    assert lines[1][1].endswith("); reconnecting")
    assert lines[2][0] == "INFO"
    assert lines[2][1].startswith(
        "ARI events app=futures-ivr reconnected after 7 refused tries in "
    )
    assert len(lines) == 3  # the refused tries between: DEBUG only
    assert not [r for r in caplog.records if r.exc_info]


async def test_refused_from_the_start_logs_one_warning_then_connected(
    fake_ari: FakeAri, harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.ari.events")
    fake_ari.ws_reject = [503] * 5
    h = harness()
    h.start()
    await until(lambda: h.connected_calls == 1, what="connected after 5 refusals")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "ivr.ari.events"]
    assert lines[0] == (
        "WARNING",
        "ARI events app=futures-ivr: upgrade refused with status 503; retrying with backoff",
    )
    assert lines[1][1].startswith("ARI events app=futures-ivr connected after 5 refused tries in ")
    assert len(lines) == 2


async def test_a_server_that_drops_every_socket_at_once_never_makes_the_client_spin(
    fake_ari: FakeAri, harness
) -> None:
    fake_ari.close_on_accept = True
    h = harness()
    h.start()
    await until(lambda: fake_ari.ws_attempts >= 5, what="five attempts")
    await h.stop()
    # every reconnect was preceded by a backoff pause: no tight loop
    assert len(h.sleeps.delays) >= fake_ari.ws_attempts - 1
    assert h.connected_calls <= fake_ari.ws_attempts


async def test_application_replaced_stops_consuming_and_is_surfaced(
    fake_ari: FakeAri, harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness()
    task = h.start()
    await until(lambda: fake_ari.live, what="socket connected")
    await fake_ari.send(stasis_start("c1"))
    await fake_ari.send({"type": "ApplicationReplaced", "application": APP})
    with pytest.raises(AriAppReplaced) as caught:
        await asyncio.wait_for(task, 2)
    assert str(caught.value) == "ARI: another process took ARI app futures-ivr"
    assert h.events.replaced.is_set()
    assert [e.type for e in h.received] == ["StasisStart"]
    assert fake_ari.ws_attempts == 1  # no reconnect
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(m.startswith("another process took ARI app futures-ivr") for m in errors)


async def test_unauthorized_stops_with_a_clear_error(fake_ari: FakeAri, harness) -> None:
    h = harness(username="nobody")
    task = h.start()
    with pytest.raises(AriUnauthorized) as caught:
        await asyncio.wait_for(task, 2)
    assert str(caught.value) == (
        "ARI GET /events: 401 unauthorized (check the ARI username and password)"
    )
    assert fake_ari.ws_attempts == 1
    assert PASSWORD not in str(caught.value)


async def test_close_during_reconnect_backoff_returns_promptly(fake_ari: FakeAri, harness) -> None:
    h = harness(sleep=Sleeps(block=True))
    task = h.start()
    await until(lambda: fake_ari.live, what="socket connected")
    await fake_ari.drop()
    await until(lambda: h.sleeps.delays, what="client waiting to reconnect")
    started = time.monotonic()
    await h.events.close()
    await asyncio.wait_for(task, 1)
    assert time.monotonic() - started < 0.5
    assert task.result() is None


async def test_close_while_connecting_to_a_dead_port_returns_promptly(harness) -> None:
    dead = FakeAri()
    base = await dead.start()
    await dead.stop()
    h = Harness(dead, sleep=Sleeps())
    h.events = AriEvents(base, USERNAME, PASSWORD, APP, sleep=h.sleeps, rng=random.Random(1))
    task = asyncio.create_task(h.events.run(h.received.append))
    await until(lambda: len(h.sleeps.delays) >= 3, what="three failed attempts")
    started = time.monotonic()
    await h.events.close()
    await asyncio.wait_for(task, 1)
    assert time.monotonic() - started < 0.5


async def test_close_mid_read_returns_promptly(fake_ari: FakeAri, harness) -> None:
    h = harness()
    task = h.start()
    await until(lambda: fake_ari.live, what="socket connected")
    started = time.monotonic()
    await h.events.close()
    await asyncio.wait_for(task, 1)
    assert time.monotonic() - started < 0.5
    await until(lambda: not fake_ari.live, what="server saw the socket close")


async def test_resync_splits_believed_calls_into_alive_and_gone(fake_ari: FakeAri) -> None:
    app_body = {
        "name": APP,
        "channel_ids": ["c1", "c2", "new-one"],
        "bridge_ids": [],
        "endpoint_ids": [],
        "device_names": [],
        "events_allowed": [],
        "events_disallowed": [],
    }
    fake_ari.reply("GET", f"/applications/{APP}", (200, app_body))
    channels = [channel_json("c1", state="Up"), channel_json("new-one"), channel_json("other")]
    fake_ari.reply("GET", "/channels", (200, channels))
    async with AriRest(fake_ari.base_url, USERNAME, PASSWORD) as rest:
        alive, gone = await resync(rest, APP, [ChannelId("c1"), ChannelId("c2"), ChannelId("c3")])
    assert alive == {"c1"}
    assert gone == {"c2", "c3"}  # c2 hung up between the two reads; c3 left the app


async def test_on_connected_can_resync_before_new_events_are_delivered(
    fake_ari: FakeAri, harness
) -> None:
    fake_ari.reply(
        "GET",
        f"/applications/{APP}",
        (200, {"name": APP, "channel_ids": ["c1"], "bridge_ids": []}),
    )
    fake_ari.reply("GET", "/channels", (200, [channel_json("c1", state="Up")]))
    order: list[str] = []
    rest = AriRest(fake_ari.base_url, USERNAME, PASSWORD)

    async def on_connected() -> None:
        alive, gone = await resync(rest, APP, [ChannelId("c1"), ChannelId("c2")])
        order.append(f"resync alive={sorted(alive)} gone={sorted(gone)}")

    h = harness()
    h.events.on_connected = on_connected
    task = asyncio.create_task(h.events.run(lambda e: order.append(e.type)))
    await until(lambda: order, what="first resync")
    await fake_ari.drop()
    await until(lambda: len(order) == 2 and fake_ari.live, what="second resync")
    await fake_ari.send(stasis_start("c5"))
    await until(lambda: len(order) == 3, what="event after resync")
    assert order == [
        "resync alive=['c1'] gone=['c2']",
        "resync alive=['c1'] gone=['c2']",
        "StasisStart",
    ]
    await h.events.close()
    await asyncio.wait_for(task, 1)
    await rest.close()


async def test_heartbeat_detects_a_silent_peer_and_reconnects(fake_ari: FakeAri, harness) -> None:
    fake_ari.autoping = False
    h = harness(heartbeat_s=0.2)
    h.start()
    await until(lambda: h.connected_calls == 1, what="first connection")
    fake_ari.autoping = True
    await until(lambda: h.connected_calls == 2, timeout_s=3, what="reconnect after missed pong")
    assert fake_ari.ws_attempts == 2
