"""Call admission: at most `limit` setups at once, the emergency line and answered legs first,
each kind in arrival order; a cancelled waiter never keeps a slot."""

from __future__ import annotations

import asyncio

import pytest

from ivr.call.admission import Admission


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


class Probe:
    """Tasks that enter the gate and stay inside until released one by one."""

    def __init__(self, gate: Admission) -> None:
        self.gate = gate
        self.inside: list[str] = []
        self.order: list[str] = []
        self.peak = 0
        self.leave: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, *, first: bool = False) -> None:
        self.leave[name] = asyncio.Event()
        self.tasks[name] = asyncio.create_task(self._run(name, first))

    async def _run(self, name: str, first: bool) -> None:
        async with self.gate.admitted(first=first):
            self.inside.append(name)
            self.order.append(name)
            self.peak = max(self.peak, len(self.inside))
            await self.leave[name].wait()
            self.inside.remove(name)

    async def release(self, name: str) -> None:
        self.leave[name].set()
        await _settle()


async def test_at_most_limit_setups_run_at_once_in_arrival_order() -> None:
    probe = Probe(Admission(2))
    for name in "abcde":
        probe.start(name)
    await _settle()
    assert probe.inside == ["a", "b"]
    assert probe.gate.waiting == 3
    for name in "abcde":
        await probe.release(name)
    assert probe.order == list("abcde")
    assert probe.peak == 2
    assert (probe.gate.busy, probe.gate.waiting) == (0, 0)


async def test_first_calls_are_admitted_before_every_waiting_call() -> None:
    probe = Probe(Admission(1))
    probe.start("a")
    await _settle()
    probe.start("b")
    probe.start("c")
    probe.start("E1", first=True)
    probe.start("d")
    probe.start("E2", first=True)
    await _settle()
    for name in ["a", "E1", "E2", "b", "c", "d"]:
        await probe.release(name)
    assert probe.order == ["a", "E1", "E2", "b", "c", "d"]


async def test_a_first_call_with_a_free_slot_enters_at_once_past_nothing() -> None:
    probe = Probe(Admission(2))
    probe.start("a")
    probe.start("E", first=True)
    await _settle()
    assert probe.inside == ["a", "E"]


async def test_a_waiter_cancelled_keeps_no_slot() -> None:
    probe = Probe(Admission(1))
    probe.start("a")
    await _settle()
    probe.start("b")
    await _settle()
    probe.tasks["b"].cancel()  # the caller's task ended while the call rang
    await _settle()
    assert probe.gate.waiting == 0
    await probe.release("a")
    probe.start("c")
    await _settle()
    assert probe.inside == ["c"]
    assert probe.gate.busy == 1


async def test_a_waiter_cancelled_as_it_was_granted_passes_the_slot_on() -> None:
    gate = Admission(1)
    held = gate.admitted()
    await held.__aenter__()  # the test holds the only slot
    probe = Probe(gate)
    probe.start("b")
    probe.start("c")
    await _settle()
    await held.__aexit__(None, None, None)  # the slot goes to b, which has not run yet...
    probe.tasks["b"].cancel()  # ...and ends before it does
    await _settle()
    assert probe.order == ["c"]
    assert gate.busy == 1
    await probe.release("c")
    assert (gate.busy, gate.waiting) == (0, 0)


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Admission(0)
