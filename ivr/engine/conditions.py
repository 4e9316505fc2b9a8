"""Branch conditions evaluated against a call's state (pure).

`business_hours` and `market_open` use the call's start time (`CallState.started_at`, the shell's
local wall time from `CallStarted.now`); without it both are false. `market_open` asks the
flow set's calendar (`FlowSet.calendar`, from `Context.calendar`).
"""

from __future__ import annotations

from datetime import datetime

from ivr.engine import model as m
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
            return (now is not None and in_hours(now, flow.business_hours)) == cond.expected
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


def in_hours(now: datetime, windows: tuple[m.Window, ...]) -> bool:
    weekday = now.weekday()
    minute = now.hour * 60 + now.minute
    for w in windows:
        if w.open_min <= w.close_min:
            if weekday in w.days and w.open_min <= minute < w.close_min:
                return True
        elif (weekday in w.days and minute >= w.open_min) or (
            (weekday - 1) % 7 in w.days and minute < w.close_min
        ):
            return True
    return False
