"""Store helpers: a relative SQLite file lives under the app's root; atomic file rewrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.store.engine import database_url_in
from ivr.store.files import write_atomically


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///var/ivr.db", "sqlite+aiosqlite:////srv/ivr/var/ivr.db"),
        ("sqlite+aiosqlite:////data/ivr.db", "sqlite+aiosqlite:////data/ivr.db"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql+asyncpg://ivr@db/ivr", "postgresql+asyncpg://ivr@db/ivr"),
    ],
)
def test_a_relative_sqlite_file_is_under_the_root(url: str, expected: str) -> None:
    assert database_url_in(url, Path("/srv/ivr")) == expected


def test_write_atomically_keeps_the_previous_file_as_bak(tmp_path: Path) -> None:
    path = tmp_path / "queues.yaml"
    write_atomically(path, "first\n")
    assert path.read_text(encoding="utf-8") == "first\n"
    assert not (tmp_path / "queues.yaml.bak").exists()
    write_atomically(path, "second\n")
    assert path.read_text(encoding="utf-8") == "second\n"
    assert (tmp_path / "queues.yaml.bak").read_text(encoding="utf-8") == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queues.yaml", "queues.yaml.bak"]
