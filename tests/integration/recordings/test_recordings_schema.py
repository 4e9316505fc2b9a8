"""Migration 0003 produces exactly the tables of `recordings.models` (own MetaData)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from recordings.models import metadata

OURS = set(metadata.tables)


def _only_ours(name: str | None, type_: str, _parents: Any) -> bool:
    return type_ != "table" or name in OURS


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"include_name": _only_ours})
    return list(compare_metadata(context, metadata))


def _triggers(connection: Connection) -> list[str]:
    if connection.dialect.name == "postgresql":
        sql = "SELECT DISTINCT trigger_name FROM information_schema.triggers"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    rows = connection.exec_driver_sql(sql)
    return sorted(row[0] for row in rows if row[0].startswith("recording"))  # ours only


TRIGGERS = {
    "sqlite": [
        "recording_audit_no_delete",
        "recording_audit_no_update",
        "recordings_no_delete",
        "recordings_seal_is_final",
    ],
    # one trigger function refuses both UPDATE and DELETE of an audit row
    "postgresql": [
        "recording_audit_append_only",
        "recordings_no_delete",
        "recordings_seal_is_final",
    ],
}


async def test_migration_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert {"recordings", "recording_audit"} == OURS
        assert set(await conn.run_sync(lambda c: inspect(c).get_table_names())) >= OURS
        assert await conn.run_sync(_diff) == []
        assert await conn.run_sync(_triggers) == TRIGGERS[engine.dialect.name]
