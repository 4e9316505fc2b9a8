"""One masking policy: an account number shows its last 4 digits only (`****5678`), and 6
characters or fewer show nothing. Every function that masks an account in the project gives
the same answer as `ivr.engine.masking.mask_account` for any text, and no other module builds
a masked account on its own (a scan of the source)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import ivr
from ivr.engine.masking import mask_account
from ivr.followups.store import mask_last4
from ivr.queue.feed import mask_account as feed_mask
from ivr.store.outbound import mask_account as outbound_mask
from recordings.naming import mask_account as recordings_mask

CASES = {
    "12345678": "****5678",
    "1234567890123": "****0123",
    "1234567": "****4567",
    "123456": "****",
    "12345": "****",
    "****5678": "****5678",
    "1234****78": "******78",  # masked under an old policy: never more than the last 4
    " 12345678 ": "****5678",
}


def test_the_policy_shows_the_last_four_digits_only() -> None:
    assert {raw: mask_account(raw) for raw in CASES} == CASES


@given(st.text(max_size=30).filter(lambda s: s.strip() != ""))
def test_every_masking_function_agrees_with_the_policy(raw: str) -> None:
    wanted = mask_account(raw)
    assert len(wanted) <= 8
    assert (mask_last4(raw), feed_mask(raw), outbound_mask(raw), recordings_mask(raw)) == (
        wanted, wanted, wanted, wanted,
    )  # fmt: skip


# `x[-4:]` next to `****`: a masked value made by hand. Allowed: the policy itself, and a
# phone number (not an account) masked for the transfer audit, which keeps its country code.
HAND_MASK = re.compile(r"\*\*\*\*.{0,40}\[-4:\]|\[-4:\].{0,40}\*\*\*\*")
ALLOWED = {"ivr/engine/masking.py", "ivr/queue/consult_shell.py"}


def test_no_module_masks_an_account_by_hand() -> None:
    root = Path(ivr.__file__).parent.parent
    found = {
        str(path.relative_to(root))
        for package in ("ivr", "queueing", "recordings", "asr")
        for path in (root / package).rglob("*.py")
        if HAND_MASK.search(path.read_text(encoding="utf-8"))
    }
    assert found - ALLOWED == set()
