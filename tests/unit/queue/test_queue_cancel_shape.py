"""The shape of every background loop's pause (`asyncio.timeout` around an `Event.wait`, its
`TimeoutError` suppressed): a cancel that lands as the timeout expires still ends the loop.

Python 3.11's `asyncio.wait_for` could swallow such a cancel; none is used by the loops of
`ivr/`, `queueing/`, `recordings/`, `asr/`, and each loop also stops on a flag of its own.
This test pins the interpreter's `asyncio.timeout` behaviour the loops rely on.
"""

from __future__ import annotations

import asyncio
import contextlib


async def test_a_cancel_as_the_pause_expires_ends_the_loop() -> None:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()  # never set: only the timeout or a cancel ends a pause
    pauses = 0

    async def forever() -> None:
        nonlocal pauses
        task = asyncio.current_task()
        assert task is not None
        while True:
            pauses += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None) as pause:
                    when = loop.time() + 0.01
                    pause.reschedule(when)
                    if pauses == 3:  # the stop lands in the same loop turn as the expiry
                        loop.call_at(when, task.cancel)
                    await wake.wait()

    task = asyncio.create_task(forever())
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done
    assert task.cancelled()
    assert pauses == 3
