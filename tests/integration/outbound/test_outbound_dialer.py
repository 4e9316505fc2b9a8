"""A margin-call campaign of 100 notices through the sandbox switch with a concurrency limit
of 10: the switch's own log never shows more than 10 outbound legs; each kind of outside number
(docs/dialer.md, the sandbox number plan) follows its retry policy; unconfirmed notices are
escalated (a wallboard alert) after the last attempt; every answered attempt has a sealed
`margin_notice` recording kept 20 years; the confirmation's digit, time and attempt are stored.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from ivr.app import App
from ivr.outbound.service import load_margin_campaign
from ivr.store.outbound import OutboundCallView, OutboundStore
from tests.helpers import until
from tests.integration.outbound.conftest import AppFactory

HEADER = "account,phone,risk_ratio,required_deposit,deadline\n"
DEADLINE = "2026-01-06T09:00:00+08:00"
LEG = re.compile(r"out-\d+-\d+")  # the dialer's leg ids
RETRY_S = {"busy": 20, "no_answer": 40, "failed": 60, "no_confirmation": 80}  # conftest policy


def campaign_csv(count: int) -> bytes:
    """`count` notices; the number's last digit picks the outside behaviour (0..9 in turn)."""
    lines = [f"{i:04d}5678,139000{i:05d},112.5,50000,{DEADLINE}" for i in range(count)]
    return (HEADER + "\n".join(lines) + "\n").encode()


def max_concurrent_legs(app: App) -> int:
    """From the switch's own event log: outbound legs alive at once (first event to destroy)."""
    assert app.switch is not None
    alive: set[str] = set()
    peak = 0
    for event in app.switch.events():
        channel = event.get("channel") or event.get("peer") or {}
        leg = str(channel.get("id", ""))
        if not LEG.fullmatch(leg):  # not its snoop (`out-1-1-snoop...`), not other calls
            continue
        if event["type"] == "ChannelDestroyed":
            alive.discard(leg)
        else:
            alive.add(leg)
            peak = max(peak, len(alive))
    return peak


async def alerts(app: App) -> list[dict[str, Any]]:
    store = app.queue_store
    entries = await store.client.xrange(store.key("events")) or []
    decoded = [{_s(k): _s(v) for k, v in (fields or {}).items()} for _id, fields in entries]
    return [e for e in decoded if e.get("type") == "alert"]


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


EXPECTED = {  # last digit -> (final status, result of each attempt)
    "0": ("confirmed", ["confirmed"]),
    "1": ("unconfirmed", ["no_confirmation"] * 3),
    "2": ("unconfirmed", ["busy"] * 3),
    "3": ("unconfirmed", ["no_answer"] * 3),
    "4": ("unconfirmed", ["failed"] * 3),
    "5": ("unconfirmed", ["failed"] * 3),
    "6": ("unconfirmed", ["no_confirmation"] * 3),  # pressed 0: no agent came, then retried
    "7": ("confirmed", ["confirmed"]),
    "8": ("confirmed", ["confirmed"]),
    "9": ("confirmed", ["confirmed"]),
}


async def test_a_campaign_of_100_notices_with_10_legs_at_most(app_factory: AppFactory) -> None:
    async with app_factory(IVR_DIALER_MAX_CONCURRENT="10") as app:
        dialer = app.services.dialer
        assert dialer is not None
        store = OutboundStore(app.store.engine)
        campaign = await load_margin_campaign(
            store, campaign_csv(100), "m.csv", "sup", dialer.now()
        )
        dialer.wake()

        async def settled() -> list[OutboundCallView]:
            calls = await store.calls(campaign.id)
            return [] if any(c.status in ("queued", "dialing") for c in calls) else calls

        calls: list[OutboundCallView] = []

        async def done() -> bool:
            calls[:] = await settled()
            return bool(calls)

        await until_async(done, timeout_s=240, what="every notice final")
        await until(lambda: not dialer.legs, what="no leg left")

        assert max_concurrent_legs(app) == 10  # reached, never exceeded
        assert dialer.peak == 10
        assert Counter(c.status for c in calls) == {"confirmed": 40, "unconfirmed": 60}
        answered_calls: list[str] = []
        for call in calls:
            status, results = EXPECTED[call.phone[-1]]
            attempts = await store.attempts(call.id)
            assert (call.status, [a.result for a in attempts]) == (status, results), call
            for before, after in itertools.pairwise(attempts):
                assert before.ended_at is not None
                wait = timedelta(seconds=RETRY_S[before.result or ""])
                assert after.started_at - before.ended_at >= wait, (call, before, after)
            if status == "confirmed":
                assert (call.confirmed_digit, call.confirmed_attempt) == ("1", 1)
                assert call.confirmed_at is not None
                assert call.confirmed_at >= attempts[0].started_at
            assert call.escalated == (status == "unconfirmed")
            answered_calls += [
                a.ivr_call_id for a in attempts if a.cause == "answered" and a.ivr_call_id
            ]
        assert len(answered_calls) == 40 + 30 + 30
        for ivr_call_id in answered_calls:  # the whole call, in one part (or more: incidents)
            parts = await app.recordings.search(call_id=ivr_call_id, purpose="margin_notice")
            assert parts, ivr_call_id
            for recording in parts:
                assert recording.sha256 is not None, recording
                assert recording.sealed_at is not None
                assert recording.retention_until - recording.started_at >= timedelta(days=7300)
        escalated = [a for a in await alerts(app) if a["kind"] == "outbound_unconfirmed"]
        unconfirmed = {str(c.id) for c in calls if c.status == "unconfirmed"}
        assert sorted(a["outbound_id"] for a in escalated) == sorted(unconfirmed)
        assert {a["account"] for a in escalated} == {"****5678"}  # masked, never the account


async def until_async(predicate: Any, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)  # polling SQL between checks, bounded by the deadline
