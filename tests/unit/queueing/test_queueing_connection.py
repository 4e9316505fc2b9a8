"""The store's wait for a loading Redis is bounded: sleeps of 20 ms doubling, at most 0.5 s,
as many as it takes to add up to the wait and no more."""

from __future__ import annotations

import pytest

from queueing.connection import LOADING_WAIT_S, loading_retry


def sleeps(retries: int) -> list[float]:
    return [min(0.5, 0.02 * 2 ** (n - 1)) for n in range(1, retries + 1)]


@pytest.mark.parametrize(
    ("wait_s", "retries"),
    [(0.0, 0), (0.02, 1), (0.2, 4), (1.0, 6), (LOADING_WAIT_S, 24)],
)
def test_loading_retries_cover_the_wait_and_no_more(wait_s: float, retries: int) -> None:
    assert loading_retry(wait_s).get_retries() == retries
    assert sum(sleeps(retries)) >= wait_s
    assert retries == 0 or sum(sleeps(retries - 1)) < wait_s
