"""Deterministic fake lookup providers with the documented sample data (pure, no I/O).

Used by `ivr flows simulate` and unit tests. The SQL demo providers (`ivr.providers`) seed the
SAME data (see `SAMPLE_CALLERS`, `SAMPLE_ACCOUNTS`, docs/flows.md "Lookup providers"):
- caller 13800000001: VIP (tier gold), account 12345678; caller 13800000002: known, 87654321.
- account 12345678 / PIN 123456 (张伟, gold, margin ratio 35.2 %, 2 trades today);
  account 87654321 / PIN 654321 (李娜, margin ratio 92.5 % -> risk high, no trades).
- any other PIN fails; the `MAX_PIN_FAILURES`-th failure in one call (and later) -> `locked`.
- market_status -> the calendar's answer at the call's time when the simulation gives both
  (`calendar.market_answer`, as the SQL demo answers), else open (day session);
  create_ticket / request_callback -> numbered ids (request_callback -> `invalid_number` for a
  caller ID that is not a valid phone number).
Values are raw, as the catalogue types them (`Decimal` amounts, `int` counts, a `trades` list):
prompts speak them through typed slots (`ivr.engine.speakable`).
One `FakeProviders` instance serves one call (it counts that call's PIN failures). `answers` fixes
the answer of some providers for the call (`forced_answer` builds one from a result key, for
`ivr flows simulate --provider-result market_status=closed`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ivr.engine.calendar import MarketCalendar, market_answer
from ivr.engine.errors import did_you_mean
from ivr.engine.masking import mask_account
from ivr.engine.phones import dialable
from ivr.engine.providers import CATALOGUE, ERROR_RESULT, MAX_PIN_FAILURES
from ivr.errors import IvrError


@dataclass(frozen=True, slots=True)
class SampleAccount:
    account: str
    pin: str
    name: str
    vip_tier: str
    balance: Decimal
    available: Decimal
    margin_used: Decimal
    margin_ratio: Decimal
    risk_level: str
    trades: str  # raw `trades` value: CONTRACT buy|sell open|close PRICE LOTS; ...
    trade_count: int


SAMPLE_ACCOUNTS: dict[str, SampleAccount] = {
    a.account: a
    for a in (
        SampleAccount(
            "12345678", "123456", "张伟", "gold", Decimal("1250000.00"), Decimal("810000.00"),
            Decimal("440000.00"), Decimal("35.2"), "normal",
            "rb2505 buy open 3580 3; cu2503 sell close 75230 1", 2,
        ),
        SampleAccount(
            "87654321", "654321", "李娜", "", Decimal("200000.00"), Decimal("15000.00"),
            Decimal("185000.00"), Decimal("92.5"), "high", "", 0,
        ),
    )
}  # fmt: skip

# caller number -> (result, account, language)
SAMPLE_CALLERS: dict[str, tuple[str, str, str]] = {
    "13800000001": ("vip", "12345678", "zh-CN"),
    "13800000002": ("known", "87654321", "zh-CN"),
}

Answer = tuple[str, dict[str, object]]

# data fields of a forced result key the sample data never answers with
FORCED_DATA: dict[tuple[str, str], dict[str, object]] = {
    ("market_status", "closed"): {"session": "closed", "next_open": "21:00"},
}


class ProviderResultError(IvrError):
    """A `NAME=RESULT` provider override naming no provider or result of the catalogue."""


def forced_answer(provider: str, result: str) -> Answer:
    """The fixed answer `result` of `provider` (data from `FORCED_DATA`, else none)."""
    spec = CATALOGUE.get(provider)
    if spec is None:
        hint = did_you_mean(provider, CATALOGUE)
        raise ProviderResultError(f"unknown provider '{provider}'{hint}")
    if result not in spec.all_results:
        hint = did_you_mean(result, spec.all_results)
        known = ", ".join(spec.all_results)
        raise ProviderResultError(
            f"provider '{provider}' has no result '{result}'{hint}; its results: {known}"
        )
    return result, dict(FORCED_DATA.get((provider, result), {}))


def parse_provider_results(items: Iterable[str]) -> dict[str, Answer]:
    """`["market_status=closed", ...]` -> fixed answers by provider (the last one wins)."""
    answers: dict[str, Answer] = {}
    for item in items:
        provider, sep, result = item.partition("=")
        if not sep or not provider.strip() or not result.strip():
            raise ProviderResultError(
                f"provider result '{item}' must be NAME=RESULT, e.g. market_status=closed"
            )
        answers[provider.strip()] = forced_answer(provider.strip(), result.strip())
    return answers


@dataclass(slots=True)
class FakeProviders:
    """The sample data behind the provider catalogue, for one call; `answers` override it."""

    language: str = "zh-CN"
    pin_failures: int = 0
    counters: dict[str, int] = field(default_factory=dict)
    answers: Mapping[str, Answer] = field(default_factory=dict)
    calendar: MarketCalendar | None = None
    now: datetime | None = None  # the call's local wall time (market_status)

    def lookup(self, provider: str, params: Mapping[str, str]) -> Answer:
        if provider in self.answers:
            result, data = self.answers[provider]
            return result, dict(data)
        if provider not in CATALOGUE:
            return ERROR_RESULT, {}
        handler = getattr(self, f"_{provider}")
        answer: Answer = handler(params)
        return answer

    def _caller_profile(self, params: Mapping[str, str]) -> Answer:
        known = SAMPLE_CALLERS.get(params.get("caller", ""))
        if known is None:
            return "unknown", {}
        result, account, language = known
        tier = SAMPLE_ACCOUNTS[account].vip_tier
        return result, {
            "vip_tier": tier,
            "account_masked": mask_account(account),
            "language": language,
        }

    def _verify_account(self, params: Mapping[str, str]) -> Answer:
        if self.pin_failures >= MAX_PIN_FAILURES:
            return "locked", {}
        account = SAMPLE_ACCOUNTS.get(params.get("account", ""))
        if account is None or params.get("pin") != account.pin:
            self.pin_failures += 1
            return ("locked" if self.pin_failures >= MAX_PIN_FAILURES else "fail"), {}
        data = {"account_masked": mask_account(account.account), "name": account.name}
        return "ok", {**data, "vip_tier": account.vip_tier}

    def _account_status(self, params: Mapping[str, str]) -> Answer:
        a = SAMPLE_ACCOUNTS.get(params.get("account", ""))
        if a is None:
            return "not_found", {}
        return "ok", {
            "balance": a.balance,
            "available": a.available,
            "margin_used": a.margin_used,
            "margin_ratio": a.margin_ratio,
            "risk_level": a.risk_level,
        }

    def _trade_query(self, params: Mapping[str, str]) -> Answer:
        a = SAMPLE_ACCOUNTS.get(params.get("account", ""))
        if a is None or a.trade_count == 0:
            return "none", {"trade_count": 0, "trades": ""}
        return "ok", {"trade_count": a.trade_count, "trades": a.trades}

    def _market_status(self, params: Mapping[str, str]) -> Answer:
        if self.calendar is None or self.now is None:
            return "open", {"session": "day", "next_open": None}
        return market_answer(self.calendar, self.now)

    def _numbered(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:04d}"

    def _create_ticket(self, params: Mapping[str, str]) -> Answer:
        return "ok", {"ticket_id": self._numbered("T")}

    def _request_callback(self, params: Mapping[str, str]) -> Answer:
        if not dialable(params.get("caller", "")):
            return "invalid_number", {}
        return "ok", {"callback_id": self._numbered("CB")}
