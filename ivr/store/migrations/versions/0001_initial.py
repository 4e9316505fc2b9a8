"""Initial schema: calls, call_trace and the demo back-office tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_money = sa.Numeric(18, 2)


def _calls() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("dialed", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("flow", sa.String(128), nullable=False),
        sa.Column("flow_version", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("hangup_cause", sa.String(64), nullable=True),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("priority", sa.String(16), nullable=True),
    )
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_table(
        "call_trace",
        sa.Column(
            "call_id",
            sa.String(64),
            sa.ForeignKey("calls.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("flow", sa.String(128), nullable=True),
        sa.Column("node", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )


def _demo() -> None:
    op.create_table(
        "demo_accounts",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("account_masked", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("pin_salt", sa.String(64), nullable=False),
        sa.Column("pin_hash", sa.String(128), nullable=False),
        sa.Column("vip_tier", sa.String(16), nullable=True),
        sa.Column("caller", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("balance", _money, nullable=False),
        sa.Column("available", _money, nullable=False),
        sa.Column("margin_used", _money, nullable=False),
    )
    op.create_index("ix_demo_accounts_caller", "demo_accounts", ["caller"])
    op.create_table(
        "demo_trades",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), sa.ForeignKey("demo_accounts.account"), nullable=False),
        sa.Column("traded_at", sa.DateTime(), nullable=False),
        sa.Column("contract", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("offset", sa.String(8), nullable=False),
        sa.Column("price", _money, nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
    )
    op.create_index("ix_demo_trades_account", "demo_trades", ["account"])


def _service() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("account_masked", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )


def upgrade() -> None:
    _calls()
    _demo()
    _service()


def downgrade() -> None:
    for table in ("callbacks", "tickets", "demo_trades", "demo_accounts", "call_trace", "calls"):
        op.drop_table(table)
