"""The lookup provider catalogue: names, params, result keys and data fields (pure data).

The single source of truth for `lookup` nodes: the validator checks flows against it, the
simulator's fake (`ivr.engine.simfake`) and the SQL demo providers (`ivr.providers`) implement it.
Every provider may also answer `error` (failure or timeout); it is not listed per provider.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR_RESULT = "error"


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    params: tuple[str, ...]  # required
    optional_params: tuple[str, ...]
    results: tuple[str, ...]  # without "error"
    data_fields: tuple[str, ...]

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
        ),
        ProviderSpec(
            "verify_account",
            ("account", "pin"),
            (),
            ("ok", "fail", "locked"),
            ("account_masked", "name", "vip_tier"),
        ),
        ProviderSpec(
            "account_status",
            ("account",),
            (),
            ("ok", "not_found"),
            ("balance", "available", "margin_used", "margin_ratio", "risk_level"),
        ),
        ProviderSpec(
            "trade_query", ("account",), (), ("ok", "none"), ("trade_count", "trades_text")
        ),
        ProviderSpec("market_status", (), (), ("open", "closed"), ("session", "next_open")),
        ProviderSpec(
            "create_ticket",
            ("kind",),
            ("caller", "account", "note", *ORDER_PARAMS),
            ("ok",),
            ("ticket_id",),
        ),
        ProviderSpec(
            "request_callback", (), ("caller", "queue", "reason"), ("ok",), ("callback_id",)
        ),
    )
}

# verify_account answers `locked` from this many failures within one call.
MAX_PIN_FAILURES = 3
