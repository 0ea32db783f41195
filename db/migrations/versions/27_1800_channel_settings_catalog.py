"""Channel settings: how often a connection syncs on its Temporal schedule, and whether its
stock is pushed.

Revision ID: 1800
Revises: 1700
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1800"
down_revision = "1700"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "channel_connections",
        sa.Column("sync_interval_minutes", sa.Integer(), nullable=False, server_default="15"),
    )
    op.add_column(
        "channel_connections",
        sa.Column("stock_push_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_check_constraint(
        op.f("ck_channel_connections_sync_interval"),  # final name: no convention prefix
        "channel_connections",
        "sync_interval_minutes BETWEEN 5 AND 1440",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_channel_connections_sync_interval"), "channel_connections")
    op.drop_column("channel_connections", "stock_push_enabled")
    op.drop_column("channel_connections", "sync_interval_minutes")
