"""SQL table of satisfaction surveys (回访): one row per survey offered (docs/surveys.md).

Rules:
- A row is written when the survey is offered (`offered_at`): inbound, when the agent hangs up
  first on a call of a queue with `survey: true`; outbound, when a survey call is answered.
  Rows without a score are offers nobody answered (the response rate counts them).
- `score` (1-5) and `solved` (true/false) are each set as the caller answers: a caller who
  hangs up after the score keeps the score with `solved` NULL. `answered_at` is the time of the
  last answer.
- `call_id` is the call the survey is about (the inbound call, or the call named in an outbound
  survey campaign); `channel` is `inbound` (post-call) or `outbound` (campaign); one row per
  call and channel (an outbound retry answers the same row).
- Migration 0010 creates it; `ivr.store.schema` registers this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.base import Base, UtcDateTime


class SurveyRow(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))  # inbound | outbound
    agent_id: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    score: Mapped[int | None] = mapped_column(Integer)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("call_id", "channel", name="uq_surveys_call_channel"),
        Index("ix_surveys_offered_at", "offered_at"),
    )
