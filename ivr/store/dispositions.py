"""`DispositionStore`: how each call an agent handled was wrapped up, in SQL (`dispositions`).

Rules: one row per (call, agent); a second disposition of the same call by the same agent is
refused (`DispositionExists`). Times are aware UTC datetimes; `now` is injectable for tests.
Notes are free text typed by the agent and never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from ivr.errors import IvrError
from ivr.store.users_model import DispositionRow


class DispositionExists(IvrError):
    """The call already has this agent's disposition."""


@dataclass(frozen=True, slots=True)
class Disposition:
    call_id: str
    agent_id: str
    user_name: str
    queue: str | None
    disposition: str
    notes: str
    caller: str | None
    at: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _record(row: DispositionRow) -> Disposition:
    return Disposition(
        row.call_id,
        row.agent_id,
        row.user_name,
        row.queue,
        row.disposition,
        row.notes,
        row.caller,
        row.at,
    )


class DispositionStore:
    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    async def record(
        self,
        *,
        call_id: str,
        agent_id: str,
        user_name: str,
        disposition: str,
        notes: str,
        queue: str | None = None,
        caller: str | None = None,
        at: datetime | None = None,
    ) -> Disposition:
        async with self._sessions.begin() as db:
            existing = await db.scalar(
                select(DispositionRow.id).where(
                    DispositionRow.call_id == call_id, DispositionRow.agent_id == agent_id
                )
            )
            if existing is not None:
                raise DispositionExists(f"call '{call_id}' already has a disposition")
            row = DispositionRow(
                call_id=call_id,
                agent_id=agent_id,
                user_name=user_name,
                queue=queue,
                disposition=disposition,
                notes=notes,
                caller=caller,
                at=at or self._now(),
            )
            db.add(row)
        return _record(row)

    async def for_agent(self, agent_id: str, since: datetime) -> list[Disposition]:
        """An agent's dispositions since `since`, newest first."""
        query = (
            select(DispositionRow)
            .where(DispositionRow.agent_id == agent_id, DispositionRow.at >= since)
            .order_by(DispositionRow.at.desc(), DispositionRow.id.desc())
        )
        async with self._sessions() as db:
            return [_record(row) for row in (await db.scalars(query)).all()]
