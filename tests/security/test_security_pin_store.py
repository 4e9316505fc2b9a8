"""The PIN lock store on a real (migrated) SQLite database, with a clock the test moves:
the window, the lock's end after `pin_lock_s`, counting restarting after a lock, locks that
only a person can end (`pin_lock_s: 0`), and the number rule counting distinct accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ivr.store.engine import open_engine
from ivr.store.pinlocks import PinLockStore, PinPolicy

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def now_s(self) -> float:
        return self.t


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await open_engine(f"sqlite+aiosqlite:///{tmp_path}/pins.db")
    yield engine
    await engine.dispose()


async def fail(store: PinLockStore, account: str, caller: str = "+8613900000000") -> list[str]:
    locks = await store.record_failure(
        account_key=f"key-{account}", account_label=f"****{account[-4:]}", caller=caller,
        call_id="c",
    )  # fmt: skip
    return [lock.scope for lock in locks]


async def test_window_expiry_and_counting_after_a_lock(engine: AsyncEngine) -> None:
    clock = Clock()
    store = PinLockStore(engine, PinPolicy(3, 600, 5, 60), clock.now_s)
    assert await fail(store, "11110000") == []
    clock.t += 601  # the first failure left the window
    assert [await fail(store, "11110000") for _ in range(2)] == [[], []]
    assert await fail(store, "11110000") == ["account"]
    lock = await store.active_lock("key-11110000", "")
    assert lock is not None
    assert (lock.label, lock.failures) == ("****0000", 3)
    clock.t += 59
    assert await store.active_lock("key-11110000", "") is not None
    clock.t += 2  # pin_lock_s is over
    assert await store.active_lock("key-11110000", "") is None
    assert await fail(store, "11110000") == []  # counting restarted after the lock


async def test_a_lock_of_zero_seconds_lasts_until_unlocked(engine: AsyncEngine) -> None:
    clock = Clock()
    store = PinLockStore(engine, PinPolicy(1, 600, 5, 0), clock.now_s)
    assert await fail(store, "22220000") == ["account"]
    clock.t += 10 * 365 * 86400
    lock = await store.active_lock("key-22220000", "")
    assert lock is not None
    assert lock.expires_at is None
    await store.unlock(lock.id, by="sue", reason="verified by video call")
    assert await store.active_lock("key-22220000", "") is None


async def test_a_number_is_locked_for_distinct_accounts_only(engine: AsyncEngine) -> None:
    store = PinLockStore(engine, PinPolicy(100, 600, 3, 60), Clock().now_s)
    one, many = "+8613900000001", "+8613900000002"
    assert [await fail(store, "33330000", one) for _ in range(5)] == [[]] * 5
    assert await fail(store, "44440001", many) == []
    assert await fail(store, "44440002", many) == []
    assert await fail(store, "44440003", many) == ["caller"]
    lock = await store.active_lock("key-any-other", many)
    assert lock is not None
    assert (lock.scope, lock.label) == ("caller", many)
    assert await store.active_lock("key-any-other", one) is None
