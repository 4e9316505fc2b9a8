"""Start the follow-ups room for the app: the store, the policy (`config/followups.yaml`),
the promise-keeping lookup providers and the escalation task.

Rules: the policy file is checked at start (a bad file stops the app with file:line errors);
the escalator's stop is handed to `add_closer` right after it started.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.clock import Clock
from ivr.engine.calendar import TradingCalendar
from ivr.errors import IvrError
from ivr.followups.escalation import Escalator
from ivr.followups.policy_file import load_followup_policy
from ivr.followups.promises import (
    Alert,
    FollowupProviders,
    Promises,
    book_queue_callback,
    queue_callback_stage,
)
from ivr.followups.store import FollowupStore
from ivr.providers import LookupProviders
from ivr.providers.demo_data import account_key
from recordings import RecordingIndex

log = logging.getLogger(__name__)

AddCloser = Callable[[Callable[[], Awaitable[object]]], None]


@dataclass(frozen=True, slots=True)
class Followups:
    store: FollowupStore
    promises: Promises
    providers: FollowupProviders
    escalator: Escalator
    sessions: Mapping[str, object]  # call key -> its session (a `call_id`) while it runs

    queue_items: dict[str, int] = field(default_factory=dict)  # call key -> its `*` item

    async def booked(self, key: str, number: str) -> None:
        """The queue's hook: a callback booked while waiting (`*`) becomes an item."""
        call_id = getattr(self.sessions.get(key), "call_id", None)
        item = await book_queue_callback(self.promises, caller=number, call_id=call_id, queue=None)
        if item is not None:
            self.queue_items[key] = item.id

    async def callback_stage(self, key: str, stage: str, agent_id: str | None) -> None:
        """The queue's hook: the `*` callback's call went on (`ivr.queue.callback_stage`);
        its item follows: `calling` claims it and puts it in progress, `bridged` is noted,
        `done` / `failed` close it. Never raises (logged)."""
        item_id = self.queue_items.get(key)
        if item_id is None:
            return
        if stage in ("done", "failed"):
            del self.queue_items[key]
        try:
            await queue_callback_stage(self.store, item_id, stage, agent_id or "-")
        except (IvrError, SQLAlchemyError, OSError) as exc:
            log.error("follow-up %d: queue callback %s not recorded: %s", item_id, stage, exc)


def start_followups(
    engine: AsyncEngine,
    config_dir: Path,
    *,
    inner: LookupProviders,
    calendar: TradingCalendar | None,
    clock: Clock,
    alert: Alert | None,
    sessions: Mapping[str, object],
    recordings: RecordingIndex | None,
    add_closer: AddCloser,
) -> Followups:
    policy = load_followup_policy(config_dir / "followups.yaml")
    store = FollowupStore(engine, now=clock.now)
    promises = Promises(
        store, policy, calendar=calendar, alert=alert, account_digest=account_key,
        recordings=recordings,
    )  # fmt: skip
    escalator = Escalator(promises, clock)
    escalator.start()
    add_closer(escalator.aclose)
    return Followups(store, promises, FollowupProviders(inner, promises), escalator, sessions)
