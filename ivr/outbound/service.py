"""Queueing a campaign file: the one path the CLI (`ivr campaigns load [--kind survey]`) and the
API (`POST /api/campaigns`) share. The file is validated whole first (`campaigns.parse_margin_csv`,
`survey_csv.parse_survey_csv` for surveys):
a `CampaignError` names every bad line and nothing is queued; otherwise every notice is queued
in one transaction (due now; the dialer holds each until its calling window opens).
"""

from __future__ import annotations

from datetime import datetime

from ivr.engine.phones import InvalidPhone, parse_phone
from ivr.outbound.campaigns import parse_margin_csv
from ivr.outbound.survey_csv import parse_survey_csv
from ivr.store.outbound import CampaignStatus, NewCall, OutboundStore

KINDS = ("margin_notice", "survey")  # kinds loadable from a file


async def load_margin_campaign(
    store: OutboundStore, data: bytes, name: str, created_by: str, now: datetime
) -> CampaignStatus:
    """Validate `data` (a margin-call CSV called `name`) and queue its notices."""
    notices = parse_margin_csv(data, name)
    calls = [NewCall(n.line, n.account, n.phone.e164, n.facts()) for n in notices]
    return await store.create_campaign(
        "margin_notice", name, created_by, calls, now=now, now_s=now.timestamp()
    )


async def load_survey_campaign(
    store: OutboundStore, data: bytes, name: str, created_by: str, now: datetime
) -> CampaignStatus:
    """Validate `data` (a survey CSV called `name`) and queue its survey calls (no account)."""
    surveys = parse_survey_csv(data, name)
    calls = [NewCall(s.line, "", s.phone.e164, s.facts()) for s in surveys]
    return await store.create_campaign(
        "survey", name, created_by, calls, now=now, now_s=now.timestamp()
    )


async def load_campaign(
    store: OutboundStore, kind: str, data: bytes, name: str, created_by: str, now: datetime
) -> CampaignStatus:
    """Queue a campaign file of `kind` (one of `KINDS`)."""
    load = load_survey_campaign if kind == "survey" else load_margin_campaign
    return await load(store, data, name, created_by, now)


async def add_do_not_call(store: OutboundStore, number: str, reason: str, now: datetime) -> str:
    """Put `number` on the do-not-call list (its E.164 form, returned); `InvalidPhone` if bad."""
    e164 = parse_phone(number).e164
    await store.add_do_not_call(e164, reason, now)
    return e164


__all__ = [
    "KINDS",
    "InvalidPhone",
    "add_do_not_call",
    "load_campaign",
    "load_margin_campaign",
    "load_survey_campaign",
]
