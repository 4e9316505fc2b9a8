"""Recordings: the span of the call a recording had to cover (`covers_from`, `covers_to`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

`ivr recordings verify` and `ivr recordings coverage` compare the audio of a call's recordings
with this span (see `recordings/coverage.py`). Both columns are nullable: rows made before this
revision, and recordings that are not call recordings (voice messages), have no span. The
triggers of 0003 still hold: a sealed row keeps its sha256; closing the span is an update of
`covers_to` only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite has it): a batch copy of the table would drop 0003's triggers
    op.add_column("recordings", sa.Column("covers_from", sa.DateTime(), nullable=True))
    op.add_column("recordings", sa.Column("covers_to", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("recordings", "covers_to")
    op.drop_column("recordings", "covers_from")
