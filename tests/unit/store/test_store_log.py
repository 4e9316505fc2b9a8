"""Logging with call ids and the redaction helpers."""

from __future__ import annotations

import asyncio
import io
import logging

from ivr.engine.masking import mask_account, mask_digits
from ivr.log import call_key, setup_logging


def test_mask_account_shows_the_last_four_digits_only() -> None:
    assert mask_account("12345678") == "****5678"
    assert mask_account("1234567890123") == "****0123"
    assert mask_account("1234567") == "****4567"
    assert mask_account("123456") == "****"
    assert mask_account("****5678") == "****5678"


def test_mask_digits_hides_everything() -> None:
    assert mask_digits("123456") == "****"
    assert mask_digits("") == "****"


async def test_records_carry_the_call_id_of_their_task() -> None:
    stream = io.StringIO()
    handler = setup_logging("INFO", stream)
    handler.setFormatter(logging.Formatter("%(levelname)s call=%(call_key)s %(message)s"))
    log = logging.getLogger("ivr.test")

    async def call(name: str) -> None:
        call_key.set(name)
        log.info("answered")

    try:
        await asyncio.gather(call("ch-1"), call("ch-2"))
        log.info("idle")
        setup_logging("INFO", stream)  # idempotent: still one handler of ours
        assert sum(getattr(h, "_ivr_handler", False) for h in logging.getLogger().handlers) == 1
    finally:
        logging.getLogger().setLevel(logging.WARNING)
        for h in [h for h in logging.getLogger().handlers if getattr(h, "_ivr_handler", False)]:
            logging.getLogger().removeHandler(h)
    assert stream.getvalue().splitlines() == [
        "INFO call=ch-1 answered",
        "INFO call=ch-2 answered",
        "INFO call=- idle",
    ]
