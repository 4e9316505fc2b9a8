"""Masking of secret digits (PINs, account numbers) before they leave the engine. Pure.

The one masking policy of the project (screen pops, traces, lookups, tickets, logs, alerts):
`mask_digits` hides everything (`****`); `mask_account` shows the last 4 digits only
(`12345678` -> `****5678`) and hides values of 6 characters or fewer completely. Masking is
idempotent (`****5678` stays), and a value masked under another policy never shows more than
its last 4 characters (`1234****78` -> `******78`). `recordings.naming.mask_account` (a domain
package, which may not import the app) applies the same rule; a test holds them equal.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

MaskMode: TypeAlias = Literal["full", "partial"]
HIDDEN = "****"


def mask_digits(value: str) -> str:
    return HIDDEN


def mask_account(value: str) -> str:
    text = value.strip()
    if len(text) <= 6:
        return HIDDEN
    return f"{HIDDEN}{text[-4:]}"  # an already masked `****5678` stays as it is


def mask(value: str, mode: MaskMode) -> str:
    return mask_account(value) if mode == "partial" else mask_digits(value)
