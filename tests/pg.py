"""A throwaway PostgreSQL cluster for the tests (Debian's `postgresql` package).

`PostgresCluster.start(workdir)` runs `initdb` (trust authentication, C locale, UTF-8, no
fsync: a test cluster) and `pg_ctl start` on a free loopback port; `database()` creates a new
empty database and returns its SQLAlchemy URL (`postgresql+asyncpg://...`); `stop()` ends it
(`pg_ctl stop -m fast`). PostgreSQL refuses to run as root: under root every server command
runs as the `postgres` user the package creates, and the workdir is handed to that user.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 30


class PostgresMissing(RuntimeError):
    """The server binaries are not installed."""


def _bindir() -> Path:
    """The server binaries: on PATH, else Debian's versioned folder (newest first)."""
    found = shutil.which("pg_ctl")
    if found is not None:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if not versions:
        raise PostgresMissing("PostgreSQL is not installed: run scripts/bootstrap (apt postgresql)")
    return versions[0].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class PostgresCluster:
    workdir: Path
    port: int
    bindir: Path
    _as_user: list[str] = field(default_factory=list)
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls, workdir: Path) -> PostgresCluster:
        bindir = _bindir()
        as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(workdir, user.pw_uid, user.pw_gid)
            as_user = ["runuser", "-u", "postgres", "--"]
        cluster = cls(workdir, _free_port(), bindir, as_user)
        data = workdir / "data"
        cluster._run(
            str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {cluster.port} -k {workdir} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        cluster._run(
            str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
            str(workdir / "server.log"), "-w", "-t", str(START_TIMEOUT_S), "start",
        )  # fmt: skip
        return cluster

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            [*self._as_user, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr or done.stdout}")

    def database(self) -> str:
        """A new, empty database; its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-q", "-c", f'CREATE DATABASE "{name}"',
        )  # fmt: skip
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.workdir / "data"), "-m", "fast",
                  "-w", "stop")  # fmt: skip
