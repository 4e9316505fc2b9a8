"""`OutboundStore`: the outbound dialer's state in SQL (tables in `outbound_model`).

Every change of a call to place is one transaction, so a restart (or a crash) loses nothing:
`interrupted()` returns the calls that had a leg out, which the dialer ends as `failed`
(cause `restart`) and retries per policy. Times: `next_at` is epoch seconds (clock time of the
dialer), the other times aware UTC datetimes. Accounts are returned clear only to the dialer
(`ToDial`); `OutboundCallView` and `CampaignStatus` show them masked (last 4 digits).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from ivr.engine.masking import mask_account as engine_mask_account
from ivr.store.outbound_model import AttemptRow, CampaignRow, DoNotCallRow, OutboundCallRow

_CALLS = cast(Table, OutboundCallRow.__table__)
_ATTEMPTS = cast(Table, AttemptRow.__table__)
FINAL = ("confirmed", "handed_to_agent", "unconfirmed", "refused", "cancelled")
STATUSES = ("queued", "dialing", *FINAL)


@dataclass(frozen=True, slots=True)
class NewCall:
    line: int
    account: str
    phone: str  # E.164
    facts: dict[str, str]


@dataclass(frozen=True, slots=True)
class ToDial:
    id: int
    kind: str
    phone: str
    facts: dict[str, str]
    attempt: int


@dataclass(frozen=True, slots=True)
class OutboundCallView:
    id: int
    campaign_id: int
    kind: str
    line: int
    account_masked: str
    phone: str
    status: str
    attempts: int
    last_result: str | None
    confirmed_digit: str | None
    confirmed_at: datetime | None
    confirmed_attempt: int | None
    escalated: bool


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt: int
    leg: str
    started_at: datetime
    ended_at: datetime | None
    result: str | None
    cause: str | None
    ivr_call_id: str | None


@dataclass(frozen=True, slots=True)
class CampaignStatus:
    id: int
    kind: str
    name: str
    created_by: str
    created_at: datetime
    counts: dict[str, int]


def mask_account(account: str) -> str:
    """The one masking policy (`ivr.engine.masking`); "" for a survey call (no account)."""
    return engine_mask_account(account) if account else ""


class OutboundStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine  # the dialer's hot path: Core statements on a connection
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    # ---------------------------------------------------------------- campaigns and lists

    async def create_campaign(
        self, kind: str, name: str, created_by: str, calls: Sequence[NewCall], *, now: datetime,
        now_s: float,
    ) -> CampaignStatus:  # fmt: skip
        """One campaign and its calls, all queued (due now) except do-not-call numbers."""
        async with self._sessions.begin() as db:
            blocked = set(
                await db.scalars(
                    select(DoNotCallRow.phone).where(
                        DoNotCallRow.phone.in_({c.phone for c in calls})
                    )
                )
            )
            campaign = CampaignRow(kind=kind, name=name, created_by=created_by, created_at=now)
            db.add(campaign)
            await db.flush()
            for c in calls:
                refused = c.phone in blocked
                db.add(
                    OutboundCallRow(
                        campaign_id=campaign.id, kind=kind, line=c.line,
                        account=mask_account(c.account), phone=c.phone,
                        facts=json.dumps(c.facts, ensure_ascii=False),
                        status="refused" if refused else "queued", next_at=now_s, attempts=0,
                        last_result="do_not_call" if refused else None, updated_at=now,
                    )
                )  # fmt: skip
        return (await self.status(campaign.id))[0]

    async def add_do_not_call(self, phone: str, reason: str, now: datetime) -> None:
        async with self._sessions.begin() as db:
            if await db.get(DoNotCallRow, phone) is None:
                db.add(DoNotCallRow(phone=phone, reason=reason, added_at=now))

    # ---------------------------------------------------------------- the dialer's steps

    async def due(self, now_s: float, limit: int) -> list[tuple[int, str]]:
        """(id, kind) of queued calls due by `now_s`, oldest due first."""
        query = (
            select(OutboundCallRow.id, OutboundCallRow.kind)
            .where(OutboundCallRow.status == "queued", OutboundCallRow.next_at <= now_s)
            .order_by(OutboundCallRow.next_at, OutboundCallRow.id)
            .limit(limit)
        )
        async with self._engine.connect() as db:
            return [(r.id, r.kind) for r in await db.execute(query)]

    async def next_due_s(self) -> float | None:
        async with self._sessions() as db:
            return await db.scalar(
                select(func.min(OutboundCallRow.next_at)).where(OutboundCallRow.status == "queued")
            )

    async def hold(self, holds: Iterable[tuple[int, float]], now: datetime) -> None:
        async with self._sessions.begin() as db:
            for call_id, until_s in holds:
                await db.execute(
                    update(OutboundCallRow)
                    .where(OutboundCallRow.id == call_id, OutboundCallRow.status == "queued")
                    .values(next_at=until_s, updated_at=now)
                )

    async def start_attempt(self, call_id: int, leg: str, now: datetime) -> ToDial | None:
        """Mark the call `dialing` with a new attempt row; None if it is no longer queued and
        due at `now`, or its number is on the do-not-call list (then it is final `refused`)."""
        calls = _CALLS
        blocked = select(DoNotCallRow.phone).where(DoNotCallRow.phone == calls.c.phone).exists()
        claim = (
            update(calls)
            .where(calls.c.id == call_id, calls.c.status == "queued", ~blocked)
            .where(calls.c.next_at <= now.timestamp())
            .values(status="dialing", attempts=calls.c.attempts + 1, updated_at=now)
            .returning(calls.c.kind, calls.c.phone, calls.c.facts, calls.c.attempts)
        )
        async with self._engine.begin() as db:
            row = (await db.execute(claim)).first()
            if row is None:  # not queued any more, or a do-not-call number: refuse the latter
                await db.execute(
                    update(calls)
                    .where(calls.c.id == call_id, calls.c.status == "queued", blocked)
                    .values(status="refused", last_result="do_not_call", updated_at=now)
                )
                return None
            await db.execute(
                insert(_ATTEMPTS).values(
                    outbound_id=call_id, attempt=row.attempts, leg=leg, started_at=now
                )
            )
        return ToDial(call_id, row.kind, row.phone, json.loads(row.facts), row.attempts)

    async def confirm(self, call_id: int, attempt: int, digit: str, at: datetime) -> None:
        async with self._engine.begin() as db:
            calls = _CALLS
            await db.execute(
                update(calls)
                .where(calls.c.id == call_id)
                .values(confirmed_digit=digit, confirmed_at=at, confirmed_attempt=attempt)
            )

    async def end_attempt(
        self, call_id: int, attempt: int, *, result: str, cause: str | None,
        ivr_call_id: str | None, status: str, next_at: float | None, now: datetime,
        escalated: bool = False, confirmed: tuple[str, datetime] | None = None,
    ) -> tuple[int, str, str] | None:  # fmt: skip
        """Close the attempt row and move the call on: `queued` again at `next_at`, or final.
        Returns (campaign id, masked account, phone) of the call (None if it is unknown)."""
        async with self._engine.begin() as db:
            attempts = _ATTEMPTS
            await db.execute(
                update(attempts)
                .where(attempts.c.outbound_id == call_id, attempts.c.attempt == attempt)
                .values(ended_at=now, result=result, cause=cause, ivr_call_id=ivr_call_id)
            )
            values: dict[str, object] = {"status": status, "last_result": result, "updated_at": now}
            if next_at is not None:
                values["next_at"] = next_at
            if escalated:
                values["escalated_at"] = now
            if confirmed is not None:
                values["confirmed_digit"], values["confirmed_at"] = confirmed
                values["confirmed_attempt"] = attempt
            calls = _CALLS
            row = (
                await db.execute(
                    update(calls)
                    .where(calls.c.id == call_id)
                    .values(**values)
                    .returning(calls.c.campaign_id, calls.c.account, calls.c.phone)
                )
            ).first()
        return None if row is None else (row.campaign_id, mask_account(row.account), row.phone)

    async def interrupted(self) -> list[tuple[int, str, int]]:
        """(id, kind, attempt) of calls left `dialing` by a previous run."""
        async with self._sessions() as db:
            rows = await db.execute(
                select(OutboundCallRow.id, OutboundCallRow.kind, OutboundCallRow.attempts).where(
                    OutboundCallRow.status == "dialing"
                )
            )
            return [(r.id, r.kind, r.attempts) for r in rows]

    # ---------------------------------------------------------------- reading

    async def status(self, campaign_id: int | None = None) -> list[CampaignStatus]:
        """Per campaign (newest first): its counts by status."""
        async with self._sessions() as db:
            query = select(CampaignRow).order_by(CampaignRow.id.desc())
            if campaign_id is not None:
                query = query.where(CampaignRow.id == campaign_id)
            campaigns = list(await db.scalars(query))
            counts = await db.execute(
                select(OutboundCallRow.campaign_id, OutboundCallRow.status, func.count())
                .where(OutboundCallRow.campaign_id.in_([c.id for c in campaigns]))
                .group_by(OutboundCallRow.campaign_id, OutboundCallRow.status)
            )
            by_id: dict[int, dict[str, int]] = {c.id: {} for c in campaigns}
            for cid, status, n in counts:
                by_id[cid][status] = n
        return [
            CampaignStatus(c.id, c.kind, c.name, c.created_by, c.created_at, by_id[c.id])
            for c in campaigns
        ]

    async def view(self, call_id: int) -> OutboundCallView | None:
        async with self._sessions() as db:
            row = await db.get(OutboundCallRow, call_id)
            return None if row is None else _view(row)

    async def calls(self, campaign_id: int) -> list[OutboundCallView]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(OutboundCallRow)
                .where(OutboundCallRow.campaign_id == campaign_id)
                .order_by(OutboundCallRow.line)
            )
            return [_view(r) for r in rows]

    async def attempts(self, call_id: int) -> list[AttemptView]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(AttemptRow)
                .where(AttemptRow.outbound_id == call_id)
                .order_by(AttemptRow.attempt)
            )
            return [
                AttemptView(
                    r.attempt, r.leg, r.started_at, r.ended_at, r.result, r.cause, r.ivr_call_id
                )
                for r in rows
            ]


def _view(r: OutboundCallRow) -> OutboundCallView:
    return OutboundCallView(
        r.id, r.campaign_id, r.kind, r.line, mask_account(r.account), r.phone, r.status,
        r.attempts, r.last_result, r.confirmed_digit, r.confirmed_at, r.confirmed_attempt,
        r.escalated_at is not None,
    )  # fmt: skip
