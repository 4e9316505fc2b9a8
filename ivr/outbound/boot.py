"""Starting the outbound dialer in the app process (`ivr.app` calls `start_dialer`).

Reads the kind policies (`<config_dir>/dialer.yaml`, a `ConfigError` with file:line when bad)
and the trading calendar (`<config_dir>/trading_calendar.yaml`, the built-in one if absent),
builds the `OutboundDialer` on the SQL engine and the ARI client, and starts it: calls left
`dialing` by a previous run are closed first. The wall time the windows use comes from the
app's `Clock`: real local time, or, when the clock has a `fixed_now` (tests, the sandbox at
speed), that moment advancing at the clock's speed.
Returns None when `dialer.enabled` is false.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.ari import AriRest
from ivr.clock import Clock
from ivr.engine.calendar import DEFAULT_CALENDAR
from ivr.engine.tradingcal import load_trading_calendar
from ivr.outbound.config import load_dialer_config
from ivr.outbound.dialer import OutboundDialer
from ivr.outbound.escalation import AlertEscalation, Escalation
from ivr.outbound.schedule import Pacing
from ivr.settings import Settings
from ivr.store.outbound import OutboundStore

__all__ = ["OutboundDialer", "start_dialer", "wall_clock"]

Alert = Callable[[str, Mapping[str, str]], Awaitable[None]]


def wall_clock(clock: Clock) -> Callable[[], datetime]:
    """Aware local time for calling windows and `next_at` (see the module doc)."""
    if clock.fixed_now is None:
        return clock.now
    anchor, anchor_s = clock.fixed_now, clock.now_s()
    return lambda: anchor + timedelta(seconds=clock.now_s() - anchor_s)


async def start_dialer(
    settings: Settings,
    root: Path,
    engine: AsyncEngine,
    rest: AriRest,
    clock: Clock,
    alert: Alert | None,
    on_stop: Callable[[Callable[[], Awaitable[object]]], None],
    escalation: Escalation | None = None,
) -> OutboundDialer | None:
    """The running dialer (its stop given to `on_stop`), or None when it is disabled."""
    s = settings.dialer
    if not s.enabled:
        return None
    config_dir = settings.paths.config_dir
    config_dir = config_dir if config_dir.is_absolute() else root / config_dir
    policies = load_dialer_config(config_dir / "dialer.yaml")
    calendar_file = config_dir / "trading_calendar.yaml"
    calendar = load_trading_calendar(calendar_file) if calendar_file.is_file() else DEFAULT_CALENDAR
    dialer = OutboundDialer(
        OutboundStore(engine), rest, app=settings.ari.app, trunk_dial=s.trunk_dial,
        pacing=Pacing(s.max_concurrent, s.calls_per_s), policies=policies, calendar=calendar,
        escalation=escalation or AlertEscalation(alert), wall=wall_clock(clock),
        clock_sleep_s=clock.wall_seconds,
    )  # fmt: skip
    await dialer.start()
    on_stop(dialer.aclose)
    return dialer
