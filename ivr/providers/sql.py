"""`SqlDemoProviders`: the lookup catalogue answered from the demo SQL tables.

Rules:
- Follows the catalogue of `docs/flows.md` ("Lookup providers"): names, params, result keys
  and data fields. Data values are raw (`Decimal` amounts, `int` counts, `datetime` times,
  codes as text), never formatted for a voice: prompts speak them through typed slots.
- Never raises into a call: unknown provider, missing param, database failure -> `error`.
  Params are never logged (they may hold a PIN); account numbers leave only masked.
- `verify_account` counts failures per call (the third failure and every attempt after it
  answer `locked`) and, with a `PinLockStore`, across calls per account and per calling
  number: an account or number under a lock answers `locked` before any PIN is checked (the
  right PIN too), with `pin_lock` = `account` | `caller`; the failure that causes a lock
  answers `locked` with `pin_lock_new` (read by the supervisor alert). PIN hashes are checked
  off the event loop.
- `market_status` uses the local (Asia/Shanghai) wall clock, injectable for tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ivr.engine.calendar import DEFAULT_CALENDAR, TradingCalendar, market_answer
from ivr.engine.masking import mask_account
from ivr.engine.phones import InvalidPhone, dialable, parse_phone
from ivr.engine.providers import CATALOGUE, MAX_PIN_FAILURES
from ivr.metrics import Metrics
from ivr.providers import LookupData
from ivr.providers.demo_data import account_key, check_pin
from ivr.providers.market import check_coverage
from ivr.store.models import Callback, DemoAccount, DemoTrade, Ticket
from ivr.store.pinlocks import PinLockStore

log = logging.getLogger(__name__)

MARKET_TZ = ZoneInfo("Asia/Shanghai")
HIGH_RISK_RATIO_PCT = Decimal("80")
MARGIN_CALL_RATIO_PCT = Decimal("100")

Result = tuple[str, LookupData]
_NO_ACCOUNT = ("00" * 16, "00" * 64)  # (salt, scrypt hash) no PIN matches


class _MissingParam(Exception):
    pass


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise _MissingParam(name)
    return value


def _risk_level(ratio_pct: Decimal) -> str:
    if ratio_pct >= MARGIN_CALL_RATIO_PCT:
        return "margin_call"
    return "high" if ratio_pct >= HIGH_RISK_RATIO_PCT else "normal"


def trades_value(trades: list[DemoTrade]) -> str:
    """The raw `trades` field (`CONTRACT buy|sell open|close PRICE LOTS; ...`): the prompt's
    `{trades:trades}` slot speaks it in the call's language."""
    return "; ".join(
        f"{t.contract} {t.direction} {t.offset} {format(t.price.normalize(), 'f')} {t.lots}"
        for t in trades
    )


def _caller_key(caller: str) -> str:
    """The calling number as counted: its E.164 form when valid, else the text as given."""
    try:
        return parse_phone(caller).e164
    except InvalidPhone:
        return caller.strip()[:64]


class SqlDemoProviders:
    """The demo back office over an AsyncEngine; `for_call(call_id)` gives a call's provider."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        calendar: TradingCalendar | None = None,
        metrics: Metrics | None = None,
        pin_locks: PinLockStore | None = None,
    ) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now
        self.calendar = calendar  # config/trading_calendar.yaml (holidays, night groups)
        if metrics is not None:  # the app's start-up: warn when the calendar runs out
            check_coverage(calendar or DEFAULT_CALENDAR, self.local_now().date(), metrics)
        self.pin_locks = pin_locks  # None: failures count within one call only

    def for_call(self, call_id: str, caller: str = "") -> SqlDemoLookup:
        return SqlDemoLookup(self, call_id, caller)

    def session(self) -> AsyncSession:
        return self._sessions()

    def utcnow(self) -> datetime:
        return self._now()

    def local_now(self) -> datetime:
        return self._now().astimezone(MARKET_TZ)


class SqlDemoLookup:
    """The lookups of one call (implements `LookupProvider`)."""

    def __init__(self, back_office: SqlDemoProviders, call_id: str, caller: str = "") -> None:
        self._office = back_office
        self.call_id = call_id
        self.caller = _caller_key(caller)
        self.pin_failures = 0
        self._handlers: dict[str, Callable[[Mapping[str, str]], Awaitable[Result]]] = {
            "caller_profile": self._caller_profile,
            "verify_account": self._verify_account,
            "account_status": self._account_status,
            "trade_query": self._trade_query,
            "market_status": self._market_status,
            "create_ticket": self._create_ticket,
            "request_callback": self._request_callback,
        }

    async def lookup(self, name: str, params: Mapping[str, str]) -> Result:
        handler, spec = self._handlers.get(name), CATALOGUE.get(name)
        if handler is None or spec is None:
            log.warning("lookup provider=%s: unknown provider", name)
            return "error", {}
        try:
            for required in spec.params:
                _param(params, required)
            result, data = await handler(params)
        except _MissingParam as missing:
            log.warning("lookup provider=%s: missing param %s", name, missing)
            return "error", {}
        except (SQLAlchemyError, OSError) as exc:
            log.warning("lookup provider=%s failed: %s", name, type(exc).__name__)
            return "error", {}
        log.info("lookup provider=%s result=%s", name, result)
        return result, data

    async def _account(self, session: AsyncSession, account: str) -> DemoAccount | None:
        return await session.get(DemoAccount, account_key(account))

    async def _caller_profile(self, params: Mapping[str, str]) -> Result:
        caller = _param(params, "caller")
        async with self._office.session() as session:
            row = await session.scalar(
                select(DemoAccount).where(DemoAccount.caller == caller).limit(1)
            )
        if row is None:
            return "unknown", {}
        data = {
            "vip_tier": row.vip_tier or "",
            "account_masked": row.account_masked,
            "language": row.language,
        }
        return ("vip" if row.vip_tier else "known"), data

    async def _verify_account(self, params: Mapping[str, str]) -> Result:
        account, pin = _param(params, "account"), _param(params, "pin")
        masked, key = mask_account(account), account_key(account)
        if self.pin_failures >= MAX_PIN_FAILURES:
            return "locked", {"account_masked": masked}
        guard = self._office.pin_locks
        lock = None if guard is None else await guard.active_lock(key, self.caller)
        if lock is not None:  # refused before any PIN is checked: the right PIN as well
            log.warning("verify refused: %s locked (lock %d)", lock.scope, lock.id)
            return "locked", {"account_masked": masked, "pin_lock": lock.scope}
        async with self._office.session() as session:
            row = await self._account(session, account)
        salt, digest = (row.pin_salt, row.pin_hash) if row is not None else _NO_ACCOUNT
        # an unknown account costs the same hash: the answer's timing does not tell it apart
        ok = await asyncio.to_thread(check_pin, pin, salt, digest) and row is not None
        if row is None or not ok:
            self.pin_failures += 1
            data: dict[str, object] = {"account_masked": masked}
            new = [] if guard is None else await guard.record_failure(
                account_key=key, account_label=masked, caller=self.caller,
                call_id=self.call_id,
            )  # fmt: skip
            if new:
                data["pin_lock"] = data["pin_lock_new"] = new[0].scope
                log.warning("PIN lock: %s", ", ".join(f"{n.scope} (lock {n.id})" for n in new))
            locked = self.pin_failures >= MAX_PIN_FAILURES or bool(new)
            return ("locked" if locked else "fail"), data
        return "ok", {
            "account_masked": row.account_masked,
            "name": row.name,
            "vip_tier": row.vip_tier or "",
        }

    async def _account_status(self, params: Mapping[str, str]) -> Result:
        async with self._office.session() as session:
            row = await self._account(session, _param(params, "account"))
        if row is None:
            return "not_found", {}
        ratio_pct = (row.margin_used * 100 / row.balance).quantize(Decimal("0.1"))
        return "ok", {
            "balance": row.balance,
            "available": row.available,
            "margin_used": row.margin_used,
            "margin_ratio": ratio_pct,
            "risk_level": _risk_level(ratio_pct),
        }

    async def _trade_query(self, params: Mapping[str, str]) -> Result:
        account = _param(params, "account")
        async with self._office.session() as session:
            last = await session.scalar(
                select(func.max(DemoTrade.traded_at)).where(
                    DemoTrade.account == account_key(account)
                )
            )
            if last is None:
                return "none", {"trade_count": 0, "trades": ""}
            day_start = last.astimezone(MARKET_TZ).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            trades = list(
                await session.scalars(
                    select(DemoTrade)
                    .where(
                        DemoTrade.account == account_key(account), DemoTrade.traded_at >= day_start
                    )
                    .order_by(DemoTrade.traded_at)
                )
            )
        return "ok", {"trade_count": len(trades), "trades": trades_value(trades)}

    async def _market_status(self, params: Mapping[str, str]) -> Result:
        calendar = self._office.calendar or DEFAULT_CALENDAR  # built-in: no holidays
        return market_answer(calendar, self._office.local_now())  # the simulator's answer too

    async def _create_ticket(self, params: Mapping[str, str]) -> Result:
        account = params.get("account", "").strip()
        ticket = Ticket(
            created_at=self._office.utcnow(),
            kind=_param(params, "kind"),
            caller=params.get("caller", ""),
            account_masked=mask_account(account) if account else None,
            note=params.get("note", ""),
        )
        async with self._office.session() as session, session.begin():
            session.add(ticket)
        return "ok", {"ticket_id": f"T{ticket.id:06d}"}

    async def _request_callback(self, params: Mapping[str, str]) -> Result:
        if not dialable(params.get("caller", "")):  # hidden or malformed caller ID
            return "invalid_number", {}
        callback = Callback(
            created_at=self._office.utcnow(),
            caller=params.get("caller", ""),
            queue=params.get("queue", "general"),
            reason=params.get("reason", ""),
            status="pending",
        )
        async with self._office.session() as session, session.begin():
            session.add(callback)
        return "ok", {"callback_id": f"C{callback.id:06d}"}
