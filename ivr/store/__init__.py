"""Every SQL store and model (SQLAlchemy 2 async, Alembic migrations): SQLite by default,
PostgreSQL by URL.

Owns: the engine and migrations (`engine`, `migrations/`), the declarative base (`base`) and
the whole schema (`schema`), call records (`calls`, `models`), staff users and dispositions
(`users`, `users_model`, `dispositions`), flow versions (`flowversions`), follow-up items'
tables (`followups_model`), the outbound dialer's state (`outbound`, `outbound_model`), wrong
PINs across calls (`pinlocks`, `pinlocks_model`), survey answers (`surveys`, `surveys_model`),
the call-control audit (`control_audit`), the reads behind the reports and the agent desktop's
last contacts (`reports`), owner-only file modes (`modes`) and atomic rewrites of the files the
app edits (`files`). Public API here: `CallStore`, `migrate`, `StoreError`,
the row types.

Must not import: `ivr.app`, `ivr.web`, `ivr.call`, `ivr.outbound`, `ivr.queue`,
`ivr.flowversions`, `ivr.followups`, `ivr.providers` or the commands (its users), nor `ivr.ari`,
`ivr.prompts` or `ivr.sandbox` (siblings). Below it: `ivr.engine`, `ivr.settings`,
`ivr.errors`. The model modules import only `base`, which never imports them (`schema` gathers
them all).
"""

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
