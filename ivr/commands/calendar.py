"""`ivr calendar check [--calendar FILE] [--now ISO] [--days N]`: does the trading calendar know
the exchange holidays far enough ahead?

Rules: agents' hours (`business_hours` windows with `calendar:`) and the market status both ask
the trading calendar; a year whose holidays are not entered would treat every holiday as a
working day. The check passes when the calendar covers `--days` (default 30) days after `--now`
(default: now, local time Asia/Shanghai): prints one line and exits 0, else prints what to add
and exits 1. A calendar file with errors prints them as `path:line:col: message` (exit 1).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ivr.engine.calendar import COVERAGE_DAYS, DEFAULT_CALENDAR, TradingCalendar, coverage
from ivr.engine.tradingcal import load_trading_calendar
from ivr.errors import InputError

CALENDAR_FILE = Path("config/trading_calendar.yaml")
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("calendar", help="the trading calendar: check its coverage")
    group = parser.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND")
    group.required = True
    check = group.add_parser("check", help="exit 1 unless the next days' holidays are known")
    calendar_help = f"trading calendar (default: {CALENDAR_FILE})"
    check.add_argument("--calendar", type=Path, default=None, metavar="FILE", help=calendar_help)
    now_help = "check from this local time (default: now), e.g. 2026-12-20T10:00"
    check.add_argument("--now", default=None, metavar="ISO", help=now_help)
    days_help = f"days ahead that must be covered (default {COVERAGE_DAYS})"
    check.add_argument("--days", type=int, default=COVERAGE_DAYS, help=days_help)
    check.set_defaults(func=run_check)


def _today(text: str | None) -> datetime:
    if text is None:
        return datetime.now(LOCAL_ZONE)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--now must be an ISO local time such as 2026-12-20T10:00 (got '{text}')"
        ) from None
    return at if at.tzinfo is None else at.astimezone(LOCAL_ZONE)


def _calendar(path: Path | None) -> tuple[TradingCalendar, str]:
    if path is None and not CALENDAR_FILE.exists():
        return DEFAULT_CALENDAR, f"the built-in calendar ({CALENDAR_FILE} not found)"
    path = path or CALENDAR_FILE
    return load_trading_calendar(path), str(path)


def run_check(args: argparse.Namespace) -> int:
    if args.days < 0:
        raise InputError(f"--days must be 0 or more (got {args.days})")
    calendar, source = _calendar(args.calendar)
    cover = coverage(calendar, _today(args.now).date(), args.days)
    print(f"{source}: {cover.message()}")
    return 0 if cover.ok else 1
