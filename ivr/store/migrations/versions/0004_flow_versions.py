"""Flow versions: immutable versions, the live pointer, the audit log and the generation row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

The tables mirror `ivr.store.flowversions`. Triggers (SQLite, PostgreSQL) keep the history
honest: a version row and an audit row can be neither updated nor deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = tuple(
    f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
       BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END"""
    for table in ("flow_versions", "flow_audit")
    for verb in ("UPDATE", "DELETE")
)

_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION flow_history_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME
             USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE TRIGGER flow_versions_immutable BEFORE UPDATE OR DELETE ON flow_versions
       FOR EACH ROW EXECUTE FUNCTION flow_history_refuse()""",
    """CREATE TRIGGER flow_audit_immutable BEFORE UPDATE OR DELETE ON flow_audit
       FOR EACH ROW EXECUTE FUNCTION flow_history_refuse()""",
)


def _versions() -> None:
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("flow", sa.String(128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.UniqueConstraint("flow", "number", name="uq_flow_versions_flow_number"),
    )
    op.create_table(
        "flow_live",
        sa.Column("flow", sa.String(128), primary_key=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flow", "number"],
            ["flow_versions.flow", "flow_versions.number"],
            name="fk_flow_live_version",
        ),
    )


def _audit() -> None:
    op.create_table(
        "flow_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("flow", sa.String(128), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
    )
    op.create_index("ix_flow_audit_flow", "flow_audit", ["flow"])
    generation = op.create_table(
        "flow_generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("generation", sa.Integer(), nullable=False),
    )
    op.bulk_insert(generation, [{"id": 1, "generation": 0}])


def upgrade() -> None:
    _versions()
    _audit()
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS flow_history_refuse() CASCADE")
    op.drop_table("flow_generation")
    op.drop_table("flow_audit")
    op.drop_table("flow_live")
    op.drop_table("flow_versions")
