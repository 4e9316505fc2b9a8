"""The lookup provider catalogue: names, params, result keys and data fields (pure data).

The single source of truth for `lookup` nodes: the validator checks flows against it, the
simulator's fake (`ivr.engine.simfake`) and the SQL demo providers (`ivr.providers`) implement it.
Every provider may also answer `error` (failure or timeout); it is not listed per provider.
Providers answer raw values (numbers, times, codes), never text formatted for a voice: a data
field that carries a number has a slot type here (`field_types`, `ivr.engine.speakable`), and
a prompt must read it through a typed slot (`{balance:money}`), which the validator checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ERROR_RESULT = "error"


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    params: tuple[str, ...]  # required
    optional_params: tuple[str, ...]
    results: tuple[str, ...]  # without "error"
    data_fields: tuple[str, ...]
    field_types: Mapping[str, str] = field(default_factory=dict)  # numeric field -> slot type

    @property
    def all_params(self) -> tuple[str, ...]:
        return self.params + self.optional_params

    @property
    def all_results(self) -> tuple[str, ...]:
        return (*self.results, ERROR_RESULT)


# a phone order's fields, passed to `create_ticket` by the emergency line's order capture
ORDER_PARAMS = ("product", "month", "direction", "offset", "price_type", "price", "lots")

CATALOGUE: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            "caller_profile",
            ("caller",),
            (),
            ("vip", "known", "unknown"),
            ("vip_tier", "account_masked", "language"),
            {"account_masked": "account"},
        ),
        ProviderSpec(
            "verify_account",
            ("account", "pin"),
            (),
            ("ok", "fail", "locked"),
            ("account_masked", "name", "vip_tier", "pin_lock"),
            {"account_masked": "account"},
        ),
        ProviderSpec(
            "account_status",
            ("account",),
            (),
            ("ok", "not_found"),
            ("balance", "available", "margin_used", "margin_ratio", "risk_level"),
            {
                "balance": "money",
                "available": "money",
                "margin_used": "money",
                "margin_ratio": "percent",
            },
        ),
        ProviderSpec(
            "trade_query",
            ("account",),
            (),
            ("ok", "none"),
            ("trade_count", "trades"),
            {"trade_count": "lots", "trades": "trades"},
        ),
        ProviderSpec(
            "market_status",
            (),
            (),
            ("open", "closed"),
            ("session", "next_open"),
            {"next_open": "datetime"},
        ),
        ProviderSpec(
            "create_ticket",
            ("kind",),
            ("caller", "account", "note", *ORDER_PARAMS),
            ("ok",),
            ("ticket_id",),
            {"ticket_id": "digits"},
        ),
        ProviderSpec(
            "request_callback",
            (),
            ("caller", "queue", "reason"),
            ("ok", "invalid_number"),  # invalid_number: the caller ID cannot be called back
            ("callback_id",),
            {"callback_id": "digits"},
        ),
    )
}

# verify_account answers `locked` from this many failures within one call.
MAX_PIN_FAILURES = 3
