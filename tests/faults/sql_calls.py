"""Helpers of the SQL fault tests: lock the database, run whole sandbox calls, read rows back.

Rules: the database is refused the way an operator sees it (another connection holds the
write lock); calls run through the app and the sandbox switch over real sockets; rows are read
with plain `sqlite3`, independent of the app's store.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ivr.app import App
from tests.helpers import until
from tests.integration.call.driver import CallDriver

CALL_TIMEOUT_S = 60.0


@contextmanager
def sqlite_locked(db: Path) -> Iterator[None]:
    """Another connection holds the database's exclusive write lock until the block ends."""
    con = sqlite3.connect(db, isolation_level=None, check_same_thread=False, timeout=10)
    con.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        con.execute("COMMIT")
        con.close()


async def one_call(app: App, n: int) -> str:
    """A caller reaches the hotline menu and hangs up; returns the call's channel id."""
    driver = await CallDriver.dial(app, caller=f"1390000{n:04d}")
    await driver.waiting_for_input()
    driver.hang_up()
    await driver.call.finished(CALL_TIMEOUT_S)
    await until(lambda: driver.channel_id not in app.sessions, what="session closed")
    return driver.channel_id


async def run_calls(app: App, count: int) -> list[str]:
    """`count` calls at once, each to its end; their channel ids."""
    return list(await asyncio.gather(*(one_call(app, n) for n in range(count))))


def rows(db: Path) -> tuple[list[tuple[str, str, str | None]], dict[str, list[tuple[int, str]]]]:
    """(call id, channel id, outcome) of every call row; each call's trace as (seq, node)."""
    with sqlite3.connect(db) as con:
        calls = con.execute("SELECT id, channel_id, outcome FROM calls").fetchall()
        traces: dict[str, list[tuple[int, str]]] = {}
        for call_id, seq, node in con.execute(
            "SELECT call_id, seq, node FROM call_trace ORDER BY call_id, seq"
        ):
            traces.setdefault(call_id, []).append((seq, node))
    return calls, traces
