"""Queueing a campaign file: the one path the CLI (`ivr campaigns load`) and the API
(`POST /api/campaigns`) share. The file is validated whole first (`campaigns.parse_margin_csv`):
a `CampaignError` names every bad line and nothing is queued; otherwise every notice is queued
in one transaction (due now; the dialer holds each until its calling window opens).
"""

from __future__ import annotations

from datetime import datetime

from ivr.engine.phones import InvalidPhone, parse_phone
from ivr.outbound.campaigns import parse_margin_csv
from ivr.store.outbound import CampaignStatus, NewCall, OutboundStore

KINDS = ("margin_notice",)  # kinds loadable from a file


async def load_margin_campaign(
    store: OutboundStore, data: bytes, name: str, created_by: str, now: datetime
) -> CampaignStatus:
    """Validate `data` (a margin-call CSV called `name`) and queue its notices."""
    notices = parse_margin_csv(data, name)
    calls = [NewCall(n.line, n.account, n.phone.e164, n.facts()) for n in notices]
    return await store.create_campaign(
        "margin_notice", name, created_by, calls, now=now, now_s=now.timestamp()
    )


async def add_do_not_call(store: OutboundStore, number: str, reason: str, now: datetime) -> str:
    """Put `number` on the do-not-call list (its E.164 form, returned); `InvalidPhone` if bad."""
    e164 = parse_phone(number).e164
    await store.add_do_not_call(e164, reason, now)
    return e164


__all__ = ["KINDS", "InvalidPhone", "add_do_not_call", "load_margin_campaign"]
