"""Call records in SQL (SQLAlchemy 2 async, Alembic migrations): SQLite by default,
PostgreSQL by URL. Public API: `CallStore`, `migrate`, `StoreError`, the row types."""

from ivr.store.calls import CallDetail, CallStore, CallSummary, TraceLike, TraceRecord
from ivr.store.engine import StoreError, create_engine, migrate, migrate_engine
from ivr.store.models import CallRowId

__all__ = [
    "CallDetail",
    "CallRowId",
    "CallStore",
    "CallSummary",
    "StoreError",
    "TraceLike",
    "TraceRecord",
    "create_engine",
    "migrate",
    "migrate_engine",
]
