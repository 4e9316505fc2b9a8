"""`SurveyStore`: satisfaction survey answers in SQL (table in `surveys_model`), and the pure
report over them (`report`: count, mean, distribution, solved yes/no, response rate).

Rules:
- `offered` writes the row once per call and channel (an outbound retry keeps the first
  offer); `answered` sets the score or the yes/no on it, each as it comes, so a caller who
  hangs up after the score keeps the score. An answer without an offer creates the row.
- A survey's day is the local day (the app's time zone) it was offered on; `rows(start, end)`
  returns the offers in `[start, end)`.
- Times are aware datetimes (UTC in SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from ivr.store.surveys_model import SurveyRow

GroupBy: TypeAlias = Literal["day", "agent", "queue"]
GROUP_BY: tuple[GroupBy, ...] = ("day", "agent", "queue")
SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class Survey:
    call_id: str
    channel: str
    agent_id: str | None
    queue: str | None
    offered_at: datetime
    score: int | None
    solved: bool | None
    answered_at: datetime | None


class SurveyStore:
    """Survey rows on an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def offered(
        self, call_id: str, channel: str, agent_id: str | None, queue: str | None,
        at: datetime,
    ) -> None:  # fmt: skip
        """The survey of `call_id` starts (once per call and channel; a second offer is kept
        as the first)."""
        row = SurveyRow(
            call_id=call_id, channel=channel, agent_id=agent_id, queue=queue, offered_at=at
        )
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            return  # offered before (an outbound retry)

    async def answered(
        self, call_id: str, channel: str, at: datetime, *,
        score: int | None = None, solved: bool | None = None,
    ) -> None:  # fmt: skip
        """Store the score and/or the yes/no given (the other answer is left as it is)."""
        values: dict[str, object] = {"answered_at": at}
        if score is not None:
            values["score"] = score
        if solved is not None:
            values["solved"] = solved
        async with self._sessions() as session, session.begin():
            changed = await session.execute(
                update(SurveyRow)
                .where(SurveyRow.call_id == call_id, SurveyRow.channel == channel)
                .values(**values)
            )
            if getattr(changed, "rowcount", 1) == 0:  # no offer seen: the answer makes the row
                session.add(
                    SurveyRow(
                        call_id=call_id,
                        channel=channel,
                        offered_at=at,
                        score=score,
                        solved=solved,
                        answered_at=at,
                    )
                )

    async def rows(self, start: datetime, end: datetime) -> list[Survey]:
        """Surveys offered in `[start, end)`, oldest first."""
        async with self._sessions() as session:
            found = await session.scalars(
                select(SurveyRow)
                .where(SurveyRow.offered_at >= start, SurveyRow.offered_at < end)
                .order_by(SurveyRow.offered_at, SurveyRow.id)
            )
            return [
                Survey(
                    r.call_id,
                    r.channel,
                    r.agent_id,
                    r.queue,
                    r.offered_at,
                    r.score,
                    r.solved,
                    r.answered_at,
                )
                for r in found
            ]


@dataclass(frozen=True, slots=True)
class SurveyGroup:
    key: str
    offered: int
    count: int  # answered with a score
    mean_score: float | None
    distribution: dict[str, int]  # "1".."5" -> count
    solved_yes: int
    solved_no: int

    @property
    def response_rate(self) -> float | None:
        return None if self.offered == 0 else round(self.count / self.offered, 4)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key, "offered": self.offered, "count": self.count,
            "mean_score": self.mean_score, "distribution": self.distribution,
            "solved_yes": self.solved_yes, "solved_no": self.solved_no,
            "response_rate": self.response_rate,
        }  # fmt: skip


def _key(survey: Survey, by: GroupBy, zone: ZoneInfo) -> str:
    if by == "day":
        return survey.offered_at.astimezone(zone).date().isoformat()
    value = survey.agent_id if by == "agent" else survey.queue
    return value or "-"


def summary(key: str, members: list[Survey]) -> SurveyGroup:
    """The figures of `members` under `key`: pure."""
    scores = [s.score for s in members if s.score is not None]
    mean = round(sum(scores) / len(scores), 2) if scores else None
    distribution = {str(n): scores.count(n) for n in SCORES}
    yes = sum(1 for s in members if s.solved is True)
    no = sum(1 for s in members if s.solved is False)
    return SurveyGroup(key, len(members), len(scores), mean, distribution, yes, no)


def report(surveys: Iterable[Survey], by: GroupBy, zone: ZoneInfo) -> list[SurveyGroup]:
    """One group per day, agent or queue (sorted by key): pure."""
    groups: dict[str, list[Survey]] = {}
    for survey in surveys:
        groups.setdefault(_key(survey, by, zone), []).append(survey)
    return [summary(key, groups[key]) for key in sorted(groups)]
