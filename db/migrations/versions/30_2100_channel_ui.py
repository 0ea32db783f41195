"""channels: a connection's catalog push (prices and stock of the shop's catalog to the store)

`channel_connections.catalog_push_enabled` (off by default): the channel sync then also pushes
the price (and available stock) of every listed SKU through the store's batch endpoints.

Revision ID: 2100
Revises: 2000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2100"
down_revision: str | None = "2000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "channel_connections",
        sa.Column("catalog_push_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("channel_connections", "catalog_push_enabled")
