"""Call control and supervisor monitoring: the append-only `call_control_audit` table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

The table mirrors `ivr.store.control_audit`. Triggers (SQLite, PostgreSQL) keep it honest as
for `flow_audit`: a row can be neither updated nor deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = tuple(
    f"""CREATE TRIGGER call_control_audit_no_{verb.lower()} BEFORE {verb} ON call_control_audit
       BEGIN SELECT RAISE(ABORT, 'call_control_audit rows are immutable'); END"""
    for verb in ("UPDATE", "DELETE")
)

_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION call_control_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME
             USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE TRIGGER call_control_audit_immutable BEFORE UPDATE OR DELETE ON call_control_audit
       FOR EACH ROW EXECUTE FUNCTION call_control_audit_refuse()""",
)


def upgrade() -> None:
    op.create_table(
        "call_control_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("call_key", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_call_control_audit_call_key", "call_control_audit", ["call_key"])
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS call_control_audit_refuse() CASCADE")
    op.drop_table("call_control_audit")
