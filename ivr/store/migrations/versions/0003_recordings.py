"""Call recordings: the index (`recordings`) and its append-only audit log (`recording_audit`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The tables mirror `recordings.models` (own MetaData). Triggers, per dialect, keep the evidence
honest even against a careless SQL session: an audit row can be neither updated nor deleted, a
recording row is never deleted (a purge marks it), and a sealed sha256 never changes. Both
dialects refuse with an integrity error (SQLite `RAISE(ABORT)`, PostgreSQL SQLSTATE 23000),
which SQLAlchemy raises as `IntegrityError`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER recording_audit_no_update BEFORE UPDATE ON recording_audit
       BEGIN SELECT RAISE(ABORT, 'recording_audit is append-only'); END""",
    """CREATE TRIGGER recording_audit_no_delete BEFORE DELETE ON recording_audit
       BEGIN SELECT RAISE(ABORT, 'recording_audit is append-only'); END""",
    """CREATE TRIGGER recordings_no_delete BEFORE DELETE ON recordings
       BEGIN SELECT RAISE(ABORT, 'recording rows are kept; a purge marks them purged'); END""",
    """CREATE TRIGGER recordings_seal_is_final BEFORE UPDATE OF sha256 ON recordings
       WHEN OLD.sha256 IS NOT NULL AND NEW.sha256 IS NOT OLD.sha256
       BEGIN SELECT RAISE(ABORT, 'a sealed recording keeps its sha256'); END""",
)

_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION recordings_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '% on % is refused: recordings evidence is kept', TG_OP, TG_TABLE_NAME
             USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    """CREATE FUNCTION recordings_seal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF OLD.sha256 IS NOT NULL AND NEW.sha256 IS DISTINCT FROM OLD.sha256 THEN
           RAISE EXCEPTION 'a sealed recording keeps its sha256'
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER recording_audit_append_only BEFORE UPDATE OR DELETE ON recording_audit
       FOR EACH ROW EXECUTE FUNCTION recordings_refuse()""",
    """CREATE TRIGGER recordings_no_delete BEFORE DELETE ON recordings
       FOR EACH ROW EXECUTE FUNCTION recordings_refuse()""",
    """CREATE TRIGGER recordings_seal_is_final BEFORE UPDATE ON recordings
       FOR EACH ROW EXECUTE FUNCTION recordings_seal_is_final()""",
)


def _recordings() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=True),
        sa.Column("account_masked", sa.String(32), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("file_path", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.Column("retention_until", sa.DateTime(), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("purged_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_recordings_call_id", "recordings", ["call_id"])
    op.create_index("ix_recordings_started_at", "recordings", ["started_at"])
    op.create_index("ix_recordings_retention_until", "recordings", ["retention_until"])


def _audit() -> None:
    op.create_table(
        "recording_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("recording_id", sa.Integer(), sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_recording_audit_recording_id", "recording_audit", ["recording_id"])


def _triggers() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, ())
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _recordings()
    _audit()
    _triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS recordings_refuse() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS recordings_seal_is_final() CASCADE")
    op.drop_table("recording_audit")
    op.drop_table("recordings")
