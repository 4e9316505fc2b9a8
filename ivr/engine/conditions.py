"""Branch conditions evaluated against a call's state (pure).

`business_hours` and `market_open` use the call's start time (`CallState.started_at`, the shell's
local wall time from `CallStarted.now`); without it both are false. `market_open` asks the
flow set's calendar (`FlowSet.calendar`, from `Context.calendar`); so does a business-hours
window tied to it: `calendar: trading_day` holds only when the day it opened is a trading day
(no holiday, no weekend), `calendar: night_session` only when a night session opens that
evening (not before a holiday or a weekend).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ivr.engine import model as m
from ivr.engine.calendar import MarketCalendar
from ivr.engine.state import CallState


def holds(cond: m.Condition, state: CallState, flow: m.Flow, flows: m.FlowSet) -> bool:
    match cond:
        case m.Compare():
            source = state.variables if cond.subject == "var" else state.attributes
            return compare(source.get(cond.name), cond)
        case m.LanguageIs():
            return state.language == cond.language
        case m.BusinessHours():
            now = state.started_at
            hours = now is not None and in_hours(now, flow.business_hours, flows.calendar)
            return hours == cond.expected
        case m.MarketOpen():
            now = state.started_at
            return (now is not None and flows.calendar.market_open(now)) == cond.expected
        case m.AllOf():
            return all(holds(p, state, flow, flows) for p in cond.parts)
        case m.AnyOf():
            return any(holds(p, state, flow, flows) for p in cond.parts)
        case m.Not():
            return not holds(cond.part, state, flow, flows)


def compare(value: str | None, cond: m.Compare) -> bool:
    target = cond.value
    match cond.op:
        case "exists":
            return bool(value) == target
        case "equals":
            return value == target
        case "not_equals":
            return value != target
        case "in":
            return value in tuple(target)  # type: ignore[arg-type]
        case "not_in":
            return value not in tuple(target)  # type: ignore[arg-type]
    number = _number(value)
    if number is None or not isinstance(target, float):
        return False
    match cond.op:
        case "gt":
            return number > target
        case "ge":
            return number >= target
        case "lt":
            return number < target
        case _:
            return number <= target


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def in_hours(
    now: datetime, windows: tuple[m.Window, ...], calendar: MarketCalendar | None = None
) -> bool:
    weekday = now.weekday()
    minute = now.hour * 60 + now.minute
    today = now.date()
    for w in windows:
        opened: date | None = None  # the day the window opened, when `now` is inside it
        if w.open_min <= w.close_min:
            if weekday in w.days and w.open_min <= minute < w.close_min:
                opened = today
        elif weekday in w.days and minute >= w.open_min:
            opened = today
        elif (weekday - 1) % 7 in w.days and minute < w.close_min:
            opened = today - timedelta(days=1)
        if opened is not None and _calendar_allows(w, opened, calendar):
            return True
    return False


def _calendar_allows(window: m.Window, opened: date, calendar: MarketCalendar | None) -> bool:
    if window.calendar is None or calendar is None:
        return True
    if window.calendar == "trading_day":
        return calendar.is_trading_day(opened)
    return calendar.has_night_session(opened)
