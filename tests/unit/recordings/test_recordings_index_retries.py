"""Index writes of recordings are tried again on a passing database fault (SQLite busy past its
timeout, a lost connection) and not on anything else."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.call.recording import with_retries


def locked() -> OperationalError:
    return OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


async def test_a_locked_database_is_tried_again_until_the_write_goes_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tries: list[int] = []

    async def write() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise locked()
        return "indexed"

    with caplog.at_level(logging.WARNING, logger="ivr.call.recording"):
        assert await with_retries(write, "indexing part 1", pauses=(0.0, 0.0, 0.0)) == "indexed"
    assert len(tries) == 3
    assert (
        caplog.messages
        == ["indexing part 1: OperationalError: database is locked; trying again in 0 s"] * 2
    )


async def test_the_last_failure_is_raised_and_other_errors_are_not_retried() -> None:
    tries: list[int] = []

    async def always_locked() -> None:
        tries.append(1)
        raise locked()

    with pytest.raises(OperationalError):
        await with_retries(always_locked, "sealing", pauses=(0.0, 0.0))
    assert len(tries) == 3

    async def duplicate() -> None:
        tries.append(1)
        raise IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    tries.clear()
    with pytest.raises(IntegrityError):
        await with_retries(duplicate, "indexing", pauses=(0.0, 0.0))
    assert len(tries) == 1
