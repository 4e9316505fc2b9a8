"""Async engines and the programmatic migration runner (no alembic.ini).

Rules:
- One place turns a database URL into an `AsyncEngine`: SQLite files get their directory
  created, foreign keys on, WAL and a busy timeout; PostgreSQL works by URL
  (`postgresql+asyncpg://...`, the `postgres` extra).
- Engines hide bound parameters (`hide_parameters=True`): an SQL error never prints a value
  (a caller's number, an account) into a log line or a traceback.
- A relative SQLite file in a URL is relative to the app's root folder, not to the process's
  working directory (`database_url_in(url, root)`); `ivr serve` resolves it once.
- `migrate(url)` / `migrate_engine(engine)` bring the schema to the newest Alembic revision;
  `ivr serve` calls it at start-up. Bad URLs and missing drivers become `StoreError`s that say
  what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ivr.errors import IvrError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StoreError(IvrError):
    """The call-record database cannot be used (bad URL, missing driver, unreachable)."""


def _json_text(value: Any) -> str:
    """JSON columns (trace details) as text, through orjson: the standard codec cost more than
    the rest of a batched trace write (measured in a burst of 1,000 calls)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def database_url_in(url: str, root: Path) -> str:
    """`url` with a relative SQLite file made relative to `root` (other URLs unchanged)."""
    if not url.startswith("sqlite") or ":///" not in url or url.endswith(":memory:"):
        return url
    scheme, path = url.split(":///", 1)
    return url if Path(path).is_absolute() else f"{scheme}:///{root / path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An AsyncEngine for `url`; raises StoreError with a fix for a bad URL or driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "database URL is not valid; use e.g. sqlite+aiosqlite:///var/ivr.db"
            " or postgresql+asyncpg://user@host/ivr"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_async_engine(
            parsed, hide_parameters=True, json_serializer=_json_text, json_deserializer=orjson.loads
        )
    except ModuleNotFoundError as exc:
        extra = " (pip install 'futures-ivr[postgres]')" if exc.name == "asyncpg" else ""
        raise StoreError(f"database driver missing for {parsed.drivername}: {exc}{extra}") from None
    except (ArgumentError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot use database URL for {parsed.drivername}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _upgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema behind `engine` to `revision`, the newest by default (idempotent)."""
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    except (OSError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot migrate the database ({type(exc).__name__}: {exc})") from None


async def migrate(url: str) -> None:
    """Upgrade the database at `url` to the newest revision (idempotent)."""
    engine = create_engine(url)
    try:
        await migrate_engine(engine)
    finally:
        await engine.dispose()


async def open_engine(url: str, *, migrate: bool = True) -> AsyncEngine:
    """An engine for `url`, migrated to the newest revision unless `migrate` is False."""
    engine = create_engine(url)
    if migrate:
        try:
            await migrate_engine(engine)
        except BaseException:
            await engine.dispose()
            raise
    return engine


def is_outage(exc: BaseException) -> bool:
    """True for errors that mean "try again later" (locked, unreachable, connection lost)."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def short_error(exc: BaseException) -> str:
    """`Class: first line` of the driver's error: no SQL text, no bound values."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0][:120] if str(orig) else ""
    return f"{type(orig).__name__}: {text}" if text else type(orig).__name__
