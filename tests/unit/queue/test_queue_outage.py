"""`ivr.outage.Outage`: one warning when an outage starts, one line when it ends, a pause."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from ivr.outage import MAX_PAUSE_S, Outage


def test_an_outage_is_logged_once_each_way_and_backs_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ivr.outage")
    outage = Outage("queue router")
    outage.ok()  # nothing failed: nothing said
    assert outage.pause_s(0.5) == 0.5
    pauses = []
    for _ in range(10):
        outage.failed(ConnectionError("connection refused"))
        pauses.append(outage.pause_s(0.5))
    assert pauses == sorted(pauses)
    assert pauses[0] == 1.0
    assert pauses[-1] == MAX_PAUSE_S
    outage.ok()
    outage.ok()
    assert outage.pause_s(0.5) == 0.5
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines[0] == (
        "WARNING",
        "queue router: ConnectionError: connection refused; retrying with backoff",
    )
    assert len(lines) == 2
    assert lines[1][0] == "INFO"
    assert lines[1][1].startswith("queue router: recovered after 10 failures in ")
    assert not any(r.exc_info for r in caplog.records)
    outage.failed(ConnectionError("connection refused"))
    assert outage.pause_s(30.0) == 30.0  # a slow loop is never sped up by an outage


def test_an_sql_error_is_one_line_without_its_statement(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ivr.outage")
    locked = sqlite3.OperationalError("database is locked")
    exc = OperationalError("SELECT * FROM calls WHERE caller = ?", ("13900000001",), locked)
    Outage("outbound dialer").failed(exc)
    [line] = [r.getMessage() for r in caplog.records]
    assert line == (
        "outbound dialer: OperationalError: (sqlite3.OperationalError) database is locked;"
        " retrying with backoff"
    )
