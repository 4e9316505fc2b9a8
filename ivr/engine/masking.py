"""Masking of secret digits (PINs, account numbers) before they leave the engine. Pure.

The one masking policy of the project (screen pops, traces, lookups, tickets, logs, alerts):
`mask_digits` hides everything (`****`); `mask_account` shows the last 4 digits only
(`12345678` -> `****5678`) and hides values of 6 characters or fewer completely. A value that
is already masked (holds `*`) is kept as it is.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

MaskMode: TypeAlias = Literal["full", "partial"]
HIDDEN = "****"


def mask_digits(value: str) -> str:
    return HIDDEN


def mask_account(value: str) -> str:
    text = value.strip()
    if "*" in text:
        return text
    if len(text) <= 6:
        return HIDDEN
    return f"{HIDDEN}{text[-4:]}"


def mask(value: str, mode: MaskMode) -> str:
    return mask_account(value) if mode == "partial" else mask_digits(value)
