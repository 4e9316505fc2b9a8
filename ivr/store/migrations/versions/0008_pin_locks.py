"""PIN verification that counts across calls: `pin_failures`, `pin_locks`, `pin_audit`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

The tables mirror `ivr.store.pinlocks_model`. `pin_audit` is append-only: triggers (SQLite,
PostgreSQL) refuse to update or delete its rows, as for the recording and flow audits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = tuple(
    f"""CREATE TRIGGER pin_audit_no_{verb.lower()} BEFORE {verb} ON pin_audit
       BEGIN SELECT RAISE(ABORT, 'pin_audit rows are immutable'); END"""
    for verb in ("UPDATE", "DELETE")
)

_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION pin_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '% on pin_audit is refused: the audit is append-only', TG_OP;
       END $$""",
    """CREATE TRIGGER pin_audit_immutable BEFORE UPDATE OR DELETE ON pin_audit
       FOR EACH ROW EXECUTE FUNCTION pin_audit_refuse()""",
)


def upgrade() -> None:
    op.create_table(
        "pin_failures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("account_key", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
    )
    op.create_index("ix_pin_failures_account", "pin_failures", ["account_key", "at"])
    op.create_index("ix_pin_failures_caller", "pin_failures", ["caller", "at"])
    op.create_table(
        "pin_locks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(), nullable=True),
        sa.Column("unlocked_by", sa.String(128), nullable=True),
    )
    op.create_index("ix_pin_locks_subject", "pin_locks", ["scope", "subject"])
    op.create_table(
        "pin_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("lock_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(
        dialect, ()
    ):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS pin_audit_immutable ON pin_audit")
        op.execute("DROP FUNCTION IF EXISTS pin_audit_refuse()")
    op.drop_table("pin_audit")
    op.drop_index("ix_pin_locks_subject", table_name="pin_locks")
    op.drop_table("pin_locks")
    op.drop_index("ix_pin_failures_caller", table_name="pin_failures")
    op.drop_index("ix_pin_failures_account", table_name="pin_failures")
    op.drop_table("pin_failures")
