"""Lookup providers: the data behind the flow language's `lookup` node.

Owns: the ports (`LookupProvider` per call, `LookupProviders` per back office), the demo back
office over SQL (`sql`, `demo_data`) and the `market_status` lookup's view of the trading
calendar (`market`).

Must not import: the rooms above it (`ivr.call`, `ivr.outbound`, `ivr.queue`,
`ivr.flowversions`, `ivr.followups`, `ivr.web`, `ivr.app`, `ivr.cli`, `ivr.commands`) nor the
telephony side (`ivr.ari`, `ivr.sandbox`): a lookup never touches a call. It may use
`ivr.engine` (the catalogue, the calendar), `ivr.store` (the demo tables) and `ivr.log`.

Rules:
- A provider answers `await lookup(name, params) -> (result_key, data)`; names, params,
  result keys and data fields follow the catalogue (`docs/flows.md`, `ivr/engine/providers.py`).
- A provider never raises into a call: any failure is the result key `error` with empty data.
- Providers are per call (`for_call(call_id, caller)`), because some answers depend on what
  happened earlier in the same call (`verify_account` returns `locked` from the third failure
  on) or from the same number (wrong PINs across calls, docs/security.md).
- Data values are raw and typed (`Decimal` amounts, `int` counts, `datetime` times, codes as
  text), never text formatted for a voice: the catalogue gives each numeric field its slot type
  and prompts speak it (`{balance:money}`, `ivr.engine.speakable`). Account numbers only ever
  leave masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

LookupData = Mapping[str, object]


class LookupProvider(Protocol):
    """The lookups of one call."""

    async def lookup(self, name: str, params: Mapping[str, str]) -> tuple[str, LookupData]: ...


class LookupProviders(Protocol):
    """A back office: hands out the lookup provider of each call."""

    def for_call(self, call_id: str, caller: str = "") -> LookupProvider:
        """The provider of call `call_id` from calling number `caller` (PIN failures are
        counted per number too)."""
        ...


__all__ = ["LookupData", "LookupProvider", "LookupProviders"]
