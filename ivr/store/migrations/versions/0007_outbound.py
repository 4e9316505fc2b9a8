"""Outbound dialer: campaigns, calls to place, attempts, do-not-call list.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

The dialer's state lives in `outbound_calls` (docs/dialer.md): a restart reads it back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "outbound_calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id", sa.Integer(), sa.ForeignKey("outbound_campaigns.id"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_result", sa.String(32), nullable=True),
        sa.Column("confirmed_digit", sa.String(4), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_attempt", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_outbound_calls_campaign_id", "outbound_calls", ["campaign_id"])
    op.create_index("ix_outbound_calls_status_next", "outbound_calls", ["status", "next_at"])
    op.create_table(
        "outbound_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("outbound_id", sa.Integer(), sa.ForeignKey("outbound_calls.id"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("leg", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(32), nullable=True),
        sa.Column("cause", sa.String(32), nullable=True),
        sa.Column("ivr_call_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_outbound_attempts_outbound_id", "outbound_attempts", ["outbound_id"])
    op.create_table(
        "do_not_call",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("do_not_call")
    op.drop_table("outbound_attempts")
    op.drop_table("outbound_calls")
    op.drop_table("outbound_campaigns")
