"""Outbound calls keep the account masked: rows stored before with the full number are masked.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

`outbound_calls.account` held the campaign file's full account number; every reader showed it
masked (`****` and the last 4 digits). The full number is not needed after the import, and
account numbers are never kept in clear, so each row is rewritten to the masked form (an
already masked value stays as it is). There is no way back: `downgrade` leaves them masked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

HIDDEN = "****"  # as `ivr.engine.masking` (a migration does not import the app's code)


def _masked(account: str) -> str:
    text = account.strip()
    return HIDDEN if len(text) <= 6 else HIDDEN + text[-4:]


def upgrade() -> None:
    calls = sa.table("outbound_calls", sa.column("id", sa.Integer), sa.column("account", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(calls.c.id, calls.c.account)).all()
    for row_id, account in rows:
        masked = _masked(account or "")
        if masked != account:
            bind.execute(calls.update().where(calls.c.id == row_id).values(account=masked))


def downgrade() -> None:
    pass  # the full numbers are gone for good
