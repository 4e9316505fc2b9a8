"""Fault case 4: the events websocket dropped for 5 s during a burst of 100 calls.

Over real sockets (the app, its sandbox switch on 127.0.0.1, a real redis-server, SQLite). The
switch closes the app's events websocket and refuses reconnections for 5 s, as a network cut
would: events meanwhile are lost, never replayed, and a call that reaches `Stasis()` fails at
once and falls through the dialplan (docs/asterisk-behaviour.md, "Losing the events
websocket"). What must hold afterwards: no call silently dropped (each call the switch gave to
the app ends by its caller, with its row; each one refused is refused by the switch, without a
row), none duplicated (one row per channel), every row closed once, nothing left in the queue
or the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ivr.app import App
from ivr.sandbox.scenario import scenario_from_dict
from queueing.policy import CallKey
from tests.helpers import until
from tests.integration.call.conftest import AppFactory, app_factory, tts_cache

__all__ = ["app_factory", "tts_cache"]  # the fixtures, shared with the call tests

CALLS = 100
DROP_AFTER = 40  # calls placed before the cut
DROP_S = 5.0
STEPS: list[dict[str, Any]] = [
    {"wait_for": "prompt_start", "timeout_s": 60},  # language menu (language first)
    {"press": "1"},
    {"wait_for": "prompt_start", "timeout_s": 60},  # welcome
    {"wait_for": "prompt_start", "timeout_s": 60},  # risk notice
    {"wait_for": "prompt_start", "timeout_s": 60},  # main menu
    {"wait": 1},
    {"press": "0"},  # main menu: an agent (none logged in: the caller waits)
    {"wait": 40},
    {"hangup": True},
]


def rows(db: Path) -> list[tuple[str, str | None]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        found = conn.execute("SELECT channel_id, ended_at FROM calls").fetchall()
    return [(str(c), e) for c, e in found]


@pytest.mark.timeout(300)
async def test_events_websocket_dropped_for_5_s_during_a_burst_of_100_calls(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    async with app_factory(speed=10.0) as app:
        assert app.switch is not None
        switch = app.switch
        calls = []
        for n in range(CALLS):
            if n == DROP_AFTER:
                await switch.drop_websockets(refuse_s=DROP_S)
            scenario = scenario_from_dict({"dialed": "95555", "caller": f"1390000{n:04d}",
                                           "steps": STEPS})  # fmt: skip
            calls.append(await switch.place_call(scenario))
            await asyncio.sleep(0)  # a burst, not one instant: the loop runs between calls
            if n == DROP_AFTER + 10:
                assert not app.services.events.connected.is_set()  # still cut
        await until(lambda: all(c.done for c in calls), timeout_s=180, what="every call over")
        await until(lambda: not app.sessions, timeout_s=30, what="no session left")
        await app.call_records.flush()

        refused = [c for c in calls if c.transcript.ended_by == "switch"]
        taken = [c for c in calls if c.transcript.ended_by != "switch"]
        assert refused  # the cut was real: calls in it were refused by the switch
        assert switch.hub.lost > 0  # and events of the calls in progress were lost
        assert taken
        assert {c.transcript.ended_by for c in taken} == {"caller"}  # none dropped by the app
        found = rows(tmp_path / "ivr.db")
        channels = [c for c, _e in found]
        assert len(channels) == len(set(channels))  # none duplicated
        assert sorted(channels) == sorted(c.channel_id for c in taken)  # refused: no row
        assert all(ended is not None for _c, ended in found)  # every row closed
        await _nothing_left(app, [c.channel_id for c in taken])


async def _nothing_left(app: App, keys: list[str]) -> None:
    for key in keys:
        assert await app.queue_store.get_call(CallKey(key)) is None
    assert app.handoff.live["calls"] == 0


@pytest.mark.timeout(120)
async def test_a_prompt_that_ended_during_the_cut_does_not_leave_a_silent_caller_waiting(
    app_factory: AppFactory,
) -> None:
    async with app_factory(speed=10.0) as app:
        assert app.switch is not None
        switch = app.switch
        scenario = scenario_from_dict(
            {"dialed": "95555", "caller": "13900000001",
             "steps": [{"wait_for": "prompt_start", "timeout_s": 60}, {"wait": 600}]}
        )  # fmt: skip
        call = await switch.place_call(scenario)
        await until(lambda: call.transcript.prompts, timeout_s=30, what="the welcome prompt")
        await switch.drop_websockets(refuse_s=DROP_S)  # its PlaybackFinished is lost
        welcome = call.transcript.prompts[0]
        await until(lambda: welcome.end_s is not None, timeout_s=30, what="the welcome over")
        assert switch.hub.lost > 0
        events = app.services.events
        await until(events.connected.is_set, timeout_s=30, what="the socket back")
        await until(
            lambda: len(call.transcript.prompts) > 1, timeout_s=30, what="the flow going on"
        )
        switch.hangup(call.channel_id)
        await until(lambda: not app.sessions, timeout_s=30, what="the call over")
