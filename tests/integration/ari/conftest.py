"""Fixtures of the ARI client tests: a scriptable fake ARI server on a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.ari.ari_fake import FakeAri


@pytest.fixture
async def fake_ari() -> AsyncIterator[FakeAri]:
    server = FakeAri()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
