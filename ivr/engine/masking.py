"""Masking of secret digits (PINs, account numbers) before they leave the engine. Pure.

`mask_digits` hides everything (`****`); `mask_account` keeps the first 4 and last 2 digits
(`12345678` -> `1234****78`), and hides values shorter than 7 characters completely.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

MaskMode: TypeAlias = Literal["full", "partial"]
HIDDEN = "****"


def mask_digits(value: str) -> str:
    return HIDDEN


def mask_account(value: str) -> str:
    if len(value) < 7:
        return HIDDEN
    return f"{value[:4]}{HIDDEN}{value[-2:]}"


def mask(value: str, mode: MaskMode) -> str:
    return mask_account(value) if mode == "partial" else mask_digits(value)
