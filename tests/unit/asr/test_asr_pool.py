"""Recognizer pool bounds."""

from __future__ import annotations

from asr.recognizer import RecognizerPool


def test_pool_full_gives_the_dtmf_only_fallback_signal() -> None:
    pool = RecognizerPool(max_active=2)
    first, second = pool.try_acquire(), pool.try_acquire()
    assert first is not None
    assert second is not None
    assert pool.try_acquire() is None  # full: the menu runs DTMF-only
    first.release()
    first.release()  # idempotent
    assert pool.active == 1
    with pool.try_acquire() as third:  # type: ignore[union-attr]
        assert pool.active == 2
    assert third is not None
    assert pool.active == 1


def test_zero_capacity_pool_never_hands_out() -> None:
    assert RecognizerPool(0).try_acquire() is None
