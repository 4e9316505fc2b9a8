"""`Outage`: one warning when an outage starts, one line when it ends, a growing pause."""

from __future__ import annotations

import logging

import pytest

from ivr.queue.outage import MAX_PAUSE_S, Outage


def test_an_outage_is_logged_once_each_way_and_backs_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ivr.queue.outage")
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
