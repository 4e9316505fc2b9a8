"""Satisfaction surveys (回访): the `surveys` table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The table mirrors `ivr.store.surveys_model`: one row per survey offered, its score and
whether the problem was solved (both NULL until answered), per call and channel.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("offered_at", sa.DateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("call_id", "channel", name="uq_surveys_call_channel"),
    )
    op.create_index("ix_surveys_offered_at", "surveys", ["offered_at"])


def downgrade() -> None:
    op.drop_table("surveys")
