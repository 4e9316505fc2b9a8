"""Follow-ups: durable work items for every promise the hotline makes, and their history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

`followups` holds one row per promise (kinds callback, phone_order, complaint, voice_message,
pin_unlock, margin_notice, survey); `followup_events` its append-only history. Portable DDL
only (SQLite and PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("account_digest", sa.String(64), nullable=True),
        sa.Column("account_masked", sa.String(16), nullable=True),
        sa.Column("call_id", sa.String(64), nullable=True),
        sa.Column("recordings", sa.JSON(), nullable=False),
        sa.Column("order_json", sa.JSON(), nullable=True),
        sa.Column("reference", sa.String(32), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_followups_status_due", "followups", ["status", "due_at"])
    op.create_index("ix_followups_call_id", "followups", ["call_id"])
    op.create_table(
        "followup_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "followup_id",
            sa.Integer(),
            sa.ForeignKey("followups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
    )
    op.create_index("ix_followup_events_followup_id", "followup_events", ["followup_id"])


def downgrade() -> None:
    op.drop_table("followup_events")
    op.drop_table("followups")
