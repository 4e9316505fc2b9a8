"""Sample back-office data for the demo providers, and PIN hashing.

Rules:
- The SAME sample data as the flow simulator's fake (`docs/flows.md`, "Lookup providers"):
  caller 13800000001 is VIP gold with account 12345678 (PIN 123456, 张伟, margin ratio 35.2 %,
  2 trades on the last trading day); caller 13800000002 is known with account 87654321
  (PIN 654321, 李娜, margin ratio 92.5 % -> risk `high`, no trades); anyone else is unknown.
- PINs are stored only as salted scrypt hashes (`hash_pin`/`check_pin`, constant-time compare).
- `seed_demo(session)` is idempotent: existing accounts are left as they are, except that
  their masked label follows the current masking policy (`****5678`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.engine.masking import mask_account
from ivr.store.models import DemoAccount, DemoTrade

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_pin(pin: str, salt: bytes) -> str:
    """Hex scrypt hash of `pin` with `salt` (about 16 MB and some ms: call it off the loop)."""
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return digest.hex()


def check_pin(pin: str, salt_hex: str, hash_hex: str) -> bool:
    return hmac.compare_digest(hash_pin(pin, bytes.fromhex(salt_hex)), hash_hex)


@dataclass(frozen=True, slots=True)
class SampleAccount:
    account: str
    pin: str
    name: str
    vip_tier: str | None
    caller: str
    language: str
    balance: Decimal
    margin_used: Decimal


SAMPLE_ACCOUNTS = (
    SampleAccount(
        "12345678",
        "123456",
        "张伟",
        "gold",
        "13800000001",
        "zh-CN",
        Decimal("1250000.00"),
        Decimal("440000.00"),
    ),
    SampleAccount(
        "87654321",
        "654321",
        "李娜",
        None,
        "13800000002",
        "zh-CN",
        Decimal("200000.00"),
        Decimal("185000.00"),
    ),
)

# (account, minutes after the seeding day's 09:00 local, contract, direction, offset, price, lots)
SAMPLE_TRADES = (
    ("12345678", 35, "rb2510", "buy", "open", Decimal("3250.00"), 2),
    ("12345678", 290, "au2512", "sell", "close", Decimal("612.50"), 1),
)


def account_key(account: str) -> str:
    """The stored form of an account number (PIPL: never in clear in our database).

    A domain-separated sha256: enough for the demo back office, whose numbers are public
    samples; a real back office keeps its own keys (an HMAC with a secret, or none at all)."""
    return hashlib.sha256(f"futures-ivr/demo-account/{account}".encode()).hexdigest()


def _account_row(sample: SampleAccount) -> DemoAccount:
    salt = secrets.token_bytes(16)
    return DemoAccount(
        account=account_key(sample.account),
        account_masked=mask_account(sample.account),
        name=sample.name,
        pin_salt=salt.hex(),
        pin_hash=hash_pin(sample.pin, salt),
        vip_tier=sample.vip_tier,
        caller=sample.caller,
        language=sample.language,
        balance=sample.balance,
        available=sample.balance - sample.margin_used,
        margin_used=sample.margin_used,
    )


def _trade_rows(now: datetime) -> list[DemoTrade]:
    opening = now.astimezone(UTC).replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 +08
    return [
        DemoTrade(
            account=account_key(account),
            traded_at=opening + timedelta(minutes=minutes),
            contract=contract,
            direction=direction,
            offset=offset,
            price=price,
            lots=lots,
        )
        for account, minutes, contract, direction, offset, price, lots in SAMPLE_TRADES
    ]


async def seed_demo(session: AsyncSession, now: datetime | None = None) -> bool:
    """Insert the sample accounts and trades unless present; True when it inserted them."""
    existing = await session.scalar(select(DemoAccount.account).limit(1))
    if existing is not None:
        for sample in SAMPLE_ACCOUNTS:  # a database seeded under an older masking policy
            row = await session.get(DemoAccount, account_key(sample.account))
            if row is not None and row.account_masked != mask_account(sample.account):
                row.account_masked = mask_account(sample.account)
        return False
    session.add_all([_account_row(sample) for sample in SAMPLE_ACCOUNTS])
    await session.flush()
    session.add_all(_trade_rows(now or datetime.now(UTC)))
    await session.flush()
    return True
