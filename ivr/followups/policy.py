"""Due times, priorities and alerts of follow-up items: the policy model (pure).

`config/followups.yaml` (read by `ivr.followups.policy_file`) gives each kind a priority,
whether it alerts the wallboard, a due rule and when an overdue item goes to supervisors; it
maps the ticket kinds and callback reasons the flows use to item kinds (with overrides per
callback reason). A ticket kind or callback reason not listed promises nothing.

Due rules (`Due`), judged on the trading calendar at the item's creation time:
- `within_min: N` -> N minutes after creation; with `closed: next_open`, when the market is
  closed at creation, N minutes after the next session opens instead ("call back within 5
  minutes while markets are open").
- `at: next_open` -> the start of the next trading session (a market-closed callback).
- `trading_days: N` -> the end of the last day session of the Nth trading day after the day
  of creation ("answer a complaint within 5 trading days").
No I/O, no clock: `due_at(rule, created, calendar)` takes the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ivr.engine.calendar import TradingCalendar

ItemPriority = Literal["urgent", "normal", "low"]
PRIORITIES: tuple[ItemPriority, ...] = ("urgent", "normal", "low")


@dataclass(frozen=True, slots=True)
class Due:
    within_min: int | None = None
    closed_next_open: bool = False  # `closed: next_open` with `within_min`
    at_next_open: bool = False  # `at: next_open`
    trading_days: int | None = None


@dataclass(frozen=True, slots=True)
class KindPolicy:
    priority: ItemPriority
    due: Due
    alert: bool = False  # raise a wallboard alert when created
    escalate_after_min: int = 30  # overdue this long: to supervisors
    recorded: bool = False  # an agent's call back for an item of this kind is recorded whole


@dataclass(frozen=True, slots=True)
class Rule:
    """What a promise becomes: its kind and that kind's policy (with any overrides)."""

    kind: str
    policy: KindPolicy


@dataclass(frozen=True, slots=True)
class FollowupPolicy:
    kinds: dict[str, KindPolicy]
    tickets: dict[str, str]  # create_ticket kind -> item kind
    callbacks: dict[str, Rule] = field(default_factory=dict)  # request_callback reason -> rule
    default_callback: str | None = "callback"  # reasons not listed; None: nothing promised

    def for_ticket(self, ticket_kind: str) -> Rule | None:
        kind = self.tickets.get(ticket_kind)
        return Rule(kind, self.kinds[kind]) if kind is not None else None

    def for_callback(self, reason: str) -> Rule | None:
        rule = self.callbacks.get(reason)
        if rule is not None:
            return rule
        kind = self.default_callback
        return Rule(kind, self.kinds[kind]) if kind is not None else None

    def recorded_kinds(self) -> frozenset[str]:
        """The kinds whose call backs are recorded (`recorded: true`, e.g. phone orders)."""
        return frozenset(kind for kind, policy in self.kinds.items() if policy.recorded)

    def for_kind(self, kind: str) -> Rule:
        return Rule(kind, self.kinds[kind])

    def escalate_after_min(self, kind: str, reason: str) -> int:
        """The kind's limit, or the callback reason's override when it made this kind."""
        rule = self.callbacks.get(reason)
        if rule is not None and rule.kind == kind:
            return rule.policy.escalate_after_min
        return self.kinds[kind].escalate_after_min if kind in self.kinds else 30


def due_at(rule: Due, created: datetime, calendar: TradingCalendar) -> datetime:
    """When an item created at `created` (aware) is due under `rule` (aware, same zone)."""
    if rule.trading_days is not None:
        return _after_trading_days(rule.trading_days, created, calendar)
    if rule.at_next_open:
        return _next_open(created, calendar)
    minutes = timedelta(minutes=rule.within_min or 0)
    if rule.closed_next_open and not calendar.market_open(created):
        return _next_open(created, calendar) + minutes
    return created + minutes


def _next_open(created: datetime, calendar: TradingCalendar) -> datetime:
    start = calendar.next_open(created)
    return (start or created).astimezone(created.tzinfo)


def _after_trading_days(days: int, created: datetime, calendar: TradingCalendar) -> datetime:
    local = calendar.local(created)
    day = local.date()
    for _ in range(days):
        following = calendar.next_trading_day(day)
        if following is None:  # a calendar closed for 60 days: count plain days
            following = day + timedelta(days=1)
        day = following
    end = max(s.end for s in calendar.day_sessions)
    return datetime.combine(day, end, local.tzinfo).astimezone(created.tzinfo)
