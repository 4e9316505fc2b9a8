"""The trading calendar of the Chinese futures exchanges (pure): is the market trading at a time?

Rules:
- The model never reads the clock: `TradingCalendar.is_open(at)` takes the time to judge and
  answers `MarketStatus(open, session, next_open)`. A naive `at` is local wall time of the
  calendar's timezone (Asia/Shanghai); an aware one is converted first.
- Trading days are Monday-Friday except the listed exchange holidays (the exchanges never
  trade on weekends, even on the State Council's make-up working Saturdays/Sundays).
- Day sessions run on trading days. A night session opens in the evening of trading day D
  only when the next trading day follows directly (D+1, or Monday after a Friday): no night
  session on the evening before a holiday. A session whose end is not after its start runs past
  midnight (21:00-02:30 opened on Friday closes on Saturday at 02:30).
- Night session hours differ per product group (21:00-23:00, 21:00-01:00, 21:00-02:30);
  `default_group` is the one the emergency desk answers for (the longest).
- `DEFAULT_CALENDAR` is the built-in instance: the exchanges' sessions (day 09:00-10:15,
  10:30-11:30, 13:30-15:00, named `day`; night 21:00-02:30, named `night`) and no holidays.
  `config/trading_calendar.yaml` (read by `ivr.engine.tradingcal`) adds the holidays and the
  night groups.
- The engine asks a `MarketCalendar`: `market_open(at)` (the `market_open` condition),
  `is_trading_day` / `has_night_session` (business-hours windows tied to the calendar) and
  `is_open` (the `market_status` lookup, `market_answer`: the simulator and the SQL demo give
  the same answer); the shell passes a calendar through `Context(calendar=...)`, the built-in
  one otherwise.
- Coverage: a calendar lists the holidays of whole years; it covers through 31 December of the
  last year it lists (`covered_until`). The exchanges close every year (New Year, Spring
  Festival), so a year without any holiday listed is a year not yet entered. The built-in
  calendar lists none and covers nothing. A year known only in part (its notice not yet
  published, but a statutory holiday fixed) is entered with an explicit `known_through`,
  which then is the coverage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

NIGHT = "night"
_SEARCH_DAYS = 60  # the longest exchange closure is 9-10 days; 60 leaves room for odd configs


@dataclass(frozen=True, slots=True)
class Session:
    """One trading session: `end <= start` means it ends on the next calendar day."""

    name: str
    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class ProductGroup:
    """Products sharing night-session hours; `night` None: no night session."""

    name: str
    night: Session | None
    products: frozenset[str] = frozenset()


class MarketStatus(NamedTuple):
    """Unpacks as `(open, session, next_open)`. When open, `next_open` is None; when closed,
    `session` is None (the `market_status` lookup names it "closed")."""

    open: bool
    session: str | None
    next_open: datetime | None


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    day_sessions: tuple[Session, ...]
    groups: Mapping[str, ProductGroup]
    default_group: str
    holidays: Mapping[date, str] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"
    known_through: date | None = None  # explicit coverage of a year entered only in part

    # ---------------------------------------------------------------- days

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def covered_until(self) -> date | None:
        """The last day whose holidays the calendar knows (None: it lists no holidays)."""
        if self.known_through is not None:
            return self.known_through
        if not self.holidays:
            return None
        return date(max(day.year for day in self.holidays), 12, 31)

    def next_trading_day(self, day: date) -> date | None:
        for offset in range(1, _SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_trading_day(candidate):
                return candidate
        return None

    def has_night_session(self, day: date) -> bool:
        """True if night sessions open in the evening of `day` (no holiday before the next)."""
        if not self.is_trading_day(day):
            return False
        following = self.next_trading_day(day)
        if following is None:
            return False
        gap_days = (following - day).days
        return gap_days == 1 or (day.weekday() == 4 and gap_days == 3)

    # ---------------------------------------------------------------- sessions

    def group(self, name: str | None = None) -> ProductGroup:
        return self.groups[name or self.default_group]

    def group_for_product(self, product: str) -> ProductGroup:
        """The group trading `product` (e.g. 'au', 'rb'); the default group if not listed."""
        code = product.lower()
        for group in self.groups.values():
            if code in group.products:
                return group
        return self.group()

    def local(self, at: datetime) -> datetime:
        zone = ZoneInfo(self.timezone)
        return at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)

    def session_at(self, at: datetime, group: str | None = None) -> str | None:
        """Name of the session trading at `at` (e.g. 'am-1', 'night') or None."""
        now = self.local(at)
        day, clock = now.date(), now.time().replace(tzinfo=None)
        if self.is_trading_day(day):
            for session in self.day_sessions:
                if session.start <= clock < session.end:
                    return session.name
        night = self.group(group).night
        if night is None:
            return None
        if night.crosses_midnight:
            opened_today = clock >= night.start and self.has_night_session(day)
            from_yesterday = clock < night.end and self.has_night_session(day - timedelta(days=1))
            return night.name if opened_today or from_yesterday else None
        in_hours = night.start <= clock < night.end
        return night.name if in_hours and self.has_night_session(day) else None

    def _starts(self, day: date, night: Session | None) -> Iterator[datetime]:
        zone = ZoneInfo(self.timezone)
        if self.is_trading_day(day):
            for session in self.day_sessions:
                yield datetime.combine(day, session.start, zone)
        if night is not None and self.has_night_session(day):
            yield datetime.combine(day, night.start, zone)

    def next_open(self, at: datetime, group: str | None = None) -> datetime | None:
        """Start of the first session strictly after `at` (local time), None past 60 days."""
        now = self.local(at)
        night = self.group(group).night
        for offset in range(_SEARCH_DAYS):
            for start in self._starts(now.date() + timedelta(days=offset), night):
                if start > now:
                    return start
        return None

    def is_open(self, at: datetime, group: str | None = None) -> MarketStatus:
        """Is `group` (default: the emergency desk's) trading at `at`? See `MarketStatus`."""
        session = self.session_at(at, group)
        if session is not None:
            return MarketStatus(True, session, None)
        return MarketStatus(False, None, self.next_open(at, group))

    def market_open(self, at: datetime) -> bool:
        """Plain boolean for callers that only branch (the engine's `market_open` condition)."""
        return self.session_at(at) is not None


class MarketCalendar(Protocol):
    """What the engine asks the trading calendar, at local wall time `at` or of a day."""

    def market_open(self, at: datetime) -> bool: ...

    def is_open(self, at: datetime, group: str | None = None) -> MarketStatus: ...

    def is_trading_day(self, day: date) -> bool: ...

    def has_night_session(self, day: date) -> bool: ...


def market_answer(calendar: MarketCalendar, at: datetime) -> tuple[str, dict[str, object]]:
    """The `market_status` lookup's answer at `at`: `open` with the session's name, or `closed`
    with the next opening (naive local time when `at` is naive, else aware), None past 60 days."""
    status = calendar.is_open(at)
    if status.open:
        return "open", {"session": status.session, "next_open": None}
    next_open = status.next_open
    if next_open is not None and at.tzinfo is None:
        next_open = next_open.replace(tzinfo=None)
    return "closed", {"session": "closed", "next_open": next_open}


DEFAULT_CALENDAR = TradingCalendar(
    day_sessions=(
        Session("day", time(9, 0), time(10, 15)),
        Session("day", time(10, 30), time(11, 30)),
        Session("day", time(13, 30), time(15, 0)),
    ),
    groups={"default": ProductGroup("default", Session(NIGHT, time(21, 0), time(2, 30)))},
    default_group="default",
)


COVERAGE_DAYS = 30  # the calendar must know the holidays this many days ahead


@dataclass(frozen=True, slots=True)
class Coverage:
    """How far ahead of `today` a calendar knows the holidays (`ivr calendar check`)."""

    today: date
    covered_until: date | None  # None: no holidays listed at all
    needed_until: date  # today + COVERAGE_DAYS (or the days asked for)

    @property
    def ok(self) -> bool:
        return self.covered_until is not None and self.covered_until >= self.needed_until

    @property
    def days_ahead(self) -> int:
        """Days after `today` still covered (0 when none; the metric's value)."""
        if self.covered_until is None:
            return 0
        return max(0, (self.covered_until - self.today).days)

    def message(self) -> str:
        if self.ok:
            return (
                f"the trading calendar covers through {self.covered_until} "
                f"({self.days_ahead} days ahead; needed through {self.needed_until})"
            )
        year = self.needed_until.year
        if self.covered_until is not None:  # the rest of a year known in part, or the next
            end = self.covered_until
            year = end.year + 1 if (end.month, end.day) == (12, 31) else end.year
        known = (
            "lists no holidays"
            if self.covered_until is None
            else (f"covers only through {self.covered_until}")
        )
        return (
            f"the trading calendar {known}, but calls need it through {self.needed_until}: "
            f"add the {year} exchange holidays to config/trading_calendar.yaml"
        )


def coverage(calendar: TradingCalendar, today: date, days: int = COVERAGE_DAYS) -> Coverage:
    return Coverage(today, calendar.covered_until(), today + timedelta(days=days))
