"""Shared fixtures: a real `redis-server` (Debian package) on a unix socket, per test session;
a real PostgreSQL cluster (started on first use, per session) and `db_url`, one database URL per
store backend: every test that takes `db_url` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PostgresCluster, PostgresMissing

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start a throwaway redis-server (AOF on) and yield its URL (unix socket)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed: run scripts/bootstrap (apt redis-server)")
    workdir = tmp_path_factory.mktemp("redis")
    sock = workdir / "redis.sock"
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(workdir),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("redis-server did not start within 10 s")
        time.sleep(0.01)  # process start-up, not a test wait
    try:
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on a free loopback port (`tests/pg.py`). Its folder is
    not under pytest's temp root: that one is private to root, and the server runs as
    `postgres`."""
    workdir = Path(tempfile.mkdtemp(prefix="ivr-pg-"))
    try:
        cluster = PostgresCluster.start(workdir)
    except PostgresMissing as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/ivr.db"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.database()
