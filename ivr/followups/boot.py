"""Start the follow-ups room for the app: the store, the policy (`config/followups.yaml`),
the promise-keeping lookup providers and the escalation task.

Rules: the policy file is checked at start (a bad file stops the app with file:line errors);
the escalator's stop is handed to `add_closer` right after it started.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.clock import Clock
from ivr.engine.calendar import TradingCalendar
from ivr.followups.escalation import Escalator
from ivr.followups.policy_file import load_followup_policy
from ivr.followups.promises import Alert, FollowupProviders, Promises, book_queue_callback
from ivr.followups.store import FollowupStore
from ivr.providers import LookupProviders
from ivr.providers.demo_data import account_key
from recordings import RecordingIndex

AddCloser = Callable[[Callable[[], Awaitable[object]]], None]


@dataclass(frozen=True, slots=True)
class Followups:
    store: FollowupStore
    promises: Promises
    providers: FollowupProviders
    escalator: Escalator
    sessions: Mapping[str, object]  # call key -> its session (a `call_id`) while it runs

    async def booked(self, key: str, number: str) -> None:
        """The queue's hook: a callback booked while waiting (`*`) becomes an item."""
        call_id = getattr(self.sessions.get(key), "call_id", None)
        await book_queue_callback(self.promises, caller=number, call_id=call_id, queue=None)


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
