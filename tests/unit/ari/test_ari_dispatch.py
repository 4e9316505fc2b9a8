"""Dispatcher: per-call order, isolation between calls, bindings, overflow, failing handlers."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import replace

import pytest

from ivr.ari import (
    AriEvent,
    CallerId,
    Channel,
    ChannelDtmfReceived,
    ChannelId,
    DialplanCEP,
    Dispatcher,
    Playback,
    PlaybackFinished,
    PlaybackId,
    StasisEnd,
    StasisStart,
)
from tests.helpers import until

BASE = Channel(
    id=ChannelId("c1"),
    name="PJSIP/trunk-1",
    state="Up",
    caller=CallerId(name="", number="13800000000"),
    connected=CallerId(name="", number=""),
    dialplan=DialplanCEP(context="ivr-in", exten="95555", priority=2),
    language="zh",
    creationtime=None,  # type: ignore[arg-type]
)


def chan(channel_id: str) -> Channel:
    return replace(BASE, id=ChannelId(channel_id))


def dtmf(channel_id: str, digit: str) -> ChannelDtmfReceived:
    return ChannelDtmfReceived(channel=chan(channel_id), digit=digit, duration_ms=100)


def label(event: AriEvent) -> str:
    if isinstance(event, ChannelDtmfReceived):
        return event.digit
    return event.type


class Recorder:
    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.waiting: set[str] = set()

    async def __call__(self, key: str, event: AriEvent) -> None:
        gate = self.gates.get(key)
        if gate is not None:
            self.waiting.add(key)
            await gate.wait()
        self.seen.setdefault(key, []).append(label(event))


async def test_events_of_one_call_are_handled_in_order() -> None:
    rec = Recorder()
    dispatcher = Dispatcher(rec)
    dispatcher.open_call("c1")
    for digit in "1234567890*#":
        assert dispatcher.dispatch(dtmf("c1", digit)) == "c1"
    await until(lambda: len(rec.seen.get("c1", [])) == 12, what="12 digits")
    assert rec.seen["c1"] == list("1234567890*#")
    await dispatcher.aclose()


async def test_a_blocked_call_never_stalls_another() -> None:
    rec = Recorder()
    rec.gates["slow"] = asyncio.Event()  # never set until the end: the slow call is stuck
    dispatcher = Dispatcher(rec)
    dispatcher.open_call("slow")
    dispatcher.open_call("fast")
    dispatcher.dispatch(dtmf("slow", "1"))
    dispatcher.dispatch(dtmf("fast", "2"))
    dispatcher.dispatch(dtmf("slow", "3"))
    dispatcher.dispatch(dtmf("fast", "4"))
    await until(lambda: rec.seen.get("fast") == ["2", "4"], what="fast call served")
    assert "slow" not in rec.seen
    rec.gates["slow"].set()
    await until(lambda: rec.seen.get("slow") == ["1", "3"], what="slow call catches up")
    await dispatcher.aclose()


async def test_related_ids_are_routed_to_the_owning_call() -> None:
    rec = Recorder()
    dispatcher = Dispatcher(rec)
    dispatcher.open_call("caller")
    dispatcher.bind("agent-leg", "caller")
    playback = Playback(
        id=PlaybackId("pb-1"), media_uri="sound:x", target_uri="channel:caller", state="done"
    )
    assert dispatcher.dispatch(PlaybackFinished(playback=playback)) == "caller"
    assert dispatcher.dispatch(dtmf("agent-leg", "9")) == "caller"
    assert dispatcher.dispatch(dtmf("stranger", "5")) is None
    assert dispatcher.dispatch(StasisStart(channel=chan("new-call"))) is None
    await until(lambda: rec.seen.get("caller") == ["PlaybackFinished", "9"], what="routed")
    await dispatcher.aclose()


async def test_finish_handles_queued_events_then_drops_the_call_and_its_bindings() -> None:
    rec = Recorder()
    dispatcher = Dispatcher(rec)
    dispatcher.open_call("c1")
    dispatcher.bind("snoop-1", "c1")
    dispatcher.dispatch(dtmf("c1", "1"))
    dispatcher.dispatch(StasisEnd(channel=chan("c1")))
    dispatcher.finish("c1")
    assert dispatcher.dispatch(dtmf("c1", "2")) is None  # closed: nothing more is queued
    await dispatcher.wait_finished("c1", timeout_s=2)
    assert rec.seen["c1"] == ["1", "StasisEnd"]
    assert dispatcher.active_calls == frozenset()
    assert dispatcher.owner("snoop-1") is None


async def test_an_id_bound_again_to_another_call_stays_with_it_when_the_first_call_ends() -> None:
    dispatcher = Dispatcher(Recorder())
    dispatcher.open_call("c1")
    dispatcher.open_call("c2")
    dispatcher.bind("bridge-1", "c1")
    dispatcher.bind("agent-7", "c1")
    dispatcher.bind("bridge-1", "c2")  # the bridge passed to the other call
    dispatcher.unbind("agent-7")
    dispatcher.bind("agent-7", "c1")
    dispatcher.finish("c1")
    await dispatcher.wait_finished("c1", timeout_s=2)
    assert dispatcher.owner("bridge-1") == "c2"
    assert dispatcher.owner("agent-7") is None
    assert dispatcher.owner("c1") is None
    assert dispatcher.owner("c2") == "c2"
    dispatcher.finish("c2")
    await dispatcher.wait_finished("c2", timeout_s=2)
    assert dispatcher.owner("bridge-1") is None
    assert dispatcher.owner("c2") is None
    await dispatcher.aclose()


async def test_a_handler_may_finish_its_own_call() -> None:
    dispatcher: Dispatcher

    async def handler(key: str, event: AriEvent) -> None:
        if isinstance(event, StasisEnd):
            dispatcher.finish(key)

    dispatcher = Dispatcher(handler)
    dispatcher.open_call("c1")
    dispatcher.dispatch(StasisEnd(channel=chan("c1")))
    await until(lambda: not dispatcher.active_calls, what="call finished")


async def test_handler_exceptions_are_logged_with_the_call_and_the_lane_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[str] = []

    async def handler(key: str, event: AriEvent) -> None:
        handled.append(label(event))
        if label(event) == "1":
            raise RuntimeError("bug")

    dispatcher = Dispatcher(handler)
    dispatcher.open_call("c1")
    dispatcher.dispatch(dtmf("c1", "1"))
    dispatcher.dispatch(dtmf("c1", "2"))
    await until(lambda: handled == ["1", "2"], what="both handled")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "call=c1 handler failed on ChannelDtmfReceived"
    assert record.exc_info is not None
    await dispatcher.aclose()


async def test_overflow_ends_only_that_call_and_asks_the_app_to_hang_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rec = Recorder()
    rec.gates["stuck"] = asyncio.Event()
    overflowed: list[str] = []

    async def on_overflow(key: str) -> None:
        overflowed.append(key)

    dispatcher = Dispatcher(rec, queue_size=3, on_overflow=on_overflow)
    dispatcher.open_call("stuck")
    dispatcher.open_call("ok")
    dispatcher.dispatch(dtmf("stuck", "0"))
    await until(lambda: "stuck" in rec.waiting, what="lane blocked on event 0")
    results = [dispatcher.dispatch(dtmf("stuck", d)) for d in "12345"]
    assert results == ["stuck", "stuck", "stuck", None, None]
    assert dispatcher.dispatch(dtmf("ok", "7")) == "ok"
    await until(lambda: overflowed == ["stuck"], what="overflow hook")
    await until(lambda: "stuck" not in dispatcher.active_calls, what="stuck call ended")
    await until(lambda: rec.seen.get("ok") == ["7"], what="other call unaffected")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["call=stuck event queue full (3 events): ending this call's session"]
    await dispatcher.aclose()


async def test_lane_context_runs_in_each_calls_task() -> None:
    current: contextvars.ContextVar[str] = contextvars.ContextVar("current", default="-")
    seen: list[tuple[str, str]] = []

    async def handler(key: str, event: AriEvent) -> None:
        seen.append((key, current.get()))

    dispatcher = Dispatcher(handler, lane_context=current.set)
    for key in ("a", "b"):
        dispatcher.open_call(key)
        dispatcher.dispatch(dtmf(key, "1"))
    await until(lambda: len(seen) == 2, what="both handled")
    assert sorted(seen) == [("a", "a"), ("b", "b")]
    assert current.get() == "-"
    await dispatcher.aclose()


async def test_a_lane_is_idle_only_with_nothing_queued_and_no_event_being_handled() -> None:
    """`idle` lets the router hand an event straight to a call without reordering it."""
    rec = Recorder()
    rec.gates["c1"] = asyncio.Event()
    dispatcher = Dispatcher(rec)
    assert not dispatcher.idle("c1")  # no such call
    dispatcher.open_call("c1")
    assert dispatcher.idle("c1")
    assert dispatcher.route(dtmf("c1", "1")) == "c1"
    dispatcher.dispatch(dtmf("c1", "1"))
    assert not dispatcher.idle("c1")  # queued
    await until(lambda: "c1" in rec.waiting, what="the handler running")
    assert not dispatcher.idle("c1")  # being handled
    rec.gates["c1"].set()
    await until(lambda: rec.seen.get("c1") == ["1"], what="handled")
    await until(lambda: dispatcher.idle("c1"), what="idle again")
    dispatcher.finish("c1")
    assert not dispatcher.idle("c1")  # finishing
    await dispatcher.aclose()
