"""The satisfaction survey of one call (docs/surveys.md): its offer and answers, stored as the
caller gives them.

A `CallSurvey` is made when a call starts the survey flow: inbound, when the agent hung up first
on a queue with `survey: true` (the queue delivers `agent_left`); outbound, when a survey call of
a campaign is answered. `offer()` writes the row (the response rate counts it); each `result`
node of the flow calls `answers(variables)`, which stores the `score` (1-5) and the `solved`
key (1 yes, 2 no) not stored yet. A caller who hangs up after the score keeps the score.

Rules: the survey never breaks the call: SQL failing is logged (one line, no traceback) and the
survey goes on; each write is bounded by `WRITE_TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

WRITE_TIMEOUT_S = 5.0
_SOLVED = {"1": True, "2": False}


class SurveyAnswers(Protocol):
    """Where survey answers go (`ivr.store.surveys.SurveyStore`)."""

    async def offered(
        self, call_id: str, channel: str, agent_id: str | None, queue: str | None, at: datetime
    ) -> None: ...

    async def answered(
        self, call_id: str, channel: str, at: datetime, *,
        score: int | None = None, solved: bool | None = None,
    ) -> None: ...  # fmt: skip


class CallSurvey:
    """The survey of call `call_id` on `channel` (inbound | outbound)."""

    def __init__(
        self, answers: SurveyAnswers, now: Callable[[], datetime], *, call_id: str,
        channel: str, agent_id: str | None, queue: str | None,
    ) -> None:  # fmt: skip
        self._answers, self._now = answers, now
        self.call_id, self.channel = call_id, channel
        self.agent_id, self.queue = agent_id, queue
        self.score: int | None = None
        self.solved: bool | None = None

    async def offer(self) -> None:
        log.info("survey offered channel=%s queue=%s", self.channel, self.queue)
        await self._write(
            self._answers.offered(
                self.call_id, self.channel, self.agent_id, self.queue, self._now()
            )
        )

    async def answers(self, variables: Mapping[str, str]) -> None:
        """Store what the caller answered since the last `result` node."""
        text = variables.get("score", "")
        score = int(text) if text in ("1", "2", "3", "4", "5") else None
        solved = _SOLVED.get(variables.get("solved", ""))
        new_score = score if score is not None and self.score is None else None
        new_solved = solved if solved is not None and self.solved is None else None
        if new_score is None and new_solved is None:
            return
        self.score = score if score is not None else self.score
        self.solved = solved if solved is not None else self.solved
        log.info("survey answer score=%s solved=%s", self.score, self.solved)
        await self._write(
            self._answers.answered(
                self.call_id, self.channel, self._now(), score=new_score, solved=new_solved
            )
        )

    async def _write(self, write: object) -> None:
        assert asyncio.iscoroutine(write)
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_S):
                await write
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.error("survey answer not stored (%s): %s", type(exc).__name__, exc)


async def start_survey(
    answers: SurveyAnswers | None, now: Callable[[], datetime], channel: str, call_id: str,
    agent_id: str | None, queue: str | None,
) -> CallSurvey | None:  # fmt: skip
    """The survey of a call, offered (its row written); None when surveys are not stored."""
    if answers is None:
        return None
    survey = CallSurvey(
        answers, now, call_id=call_id, channel=channel, agent_id=agent_id, queue=queue
    )
    await survey.offer()
    return survey


def surveyed(facts: Mapping[str, str], own_call_id: str) -> tuple[str, str, str | None, str | None]:
    """(channel, call id, agent, queue) of an outbound survey call: the call its campaign line
    names (the facts `call_id`, `agent`, `queue`), else the outbound call itself."""
    return (
        "outbound",
        facts.get("call_id") or own_call_id,
        facts.get("agent") or None,
        facts.get("queue") or None,
    )
