"""The process the app runs in: its event loop (uvloop where installed) and its collector.

`run(choice, main)` runs a coroutine to its end on a fresh loop of the chosen kind, as
`asyncio.run` does. `auto` (the default, setting `event_loop`) takes uvloop when it can be
imported: its transports and callbacks are written in C, so each ARI event and request costs
the app less CPU; asyncio's loop is used where uvloop is not available. `uvloop` asked for
but not installed is a configuration error with its fix; it never falls back silently.

`settle_heap()`, called once the app has started, collects what start-up left behind and moves
every object still alive (modules, settings, flows, the prompt catalogue: hundreds of thousands
of them) out of the cyclic collector's reach (`gc.freeze`). Without it each full collection
walks them all: measured 200-330 ms pauses of the event loop, several per minute under load,
which is the tail of the call latency. Objects created afterwards are collected as usual, with
the youngest generation collected every `YOUNG_THRESHOLD` new container objects instead of
Python's 700: with a thousand calls in progress the app creates some 70,000 of them a second,
and at 700 a full collection (every object of every call in progress, 10-30 ms of standing
still) came every 1-2 s; at 10,000 it comes about ten times less often, and the young
collections, though larger, cost less in all (`bench.calls` burst, two runs each: key-to-action
p99 46-64 ms at 700, 33 ms at 10,000). Cyclic garbage waits a little longer to be freed; the
20,000-call soak's memory stayed flat (+3.9 %).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ivr.errors import ConfigError

T = TypeVar("T")

YOUNG_THRESHOLD = 10_000  # new container objects between two young collections (Python: 700)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The loop factory for `choice` (`auto`, `uvloop`, `asyncio`); None: asyncio's own."""
    if choice == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise ConfigError(
                "event_loop: uvloop is not installed; install it (pip install uvloop) "
                "or set event_loop: asyncio (IVR_EVENT_LOOP=asyncio)"
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """`uvloop` or `asyncio`: what the app reports at start (and the benchmarks print)."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(choice: str, main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to its end on a new event loop of kind `choice`, then close the loop."""
    try:
        factory = loop_factory(choice)
    except ConfigError:
        main.close()
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def settle_heap() -> int:
    """Collect start-up garbage, freeze what is alive, collect the young generation every
    `YOUNG_THRESHOLD` objects; the objects frozen (metric)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    return gc.get_freeze_count()
