"""late purchase orders: the anomaly's order, expected arrival day and bridging quantity

The nightly planning flags an open purchase order expected after the shelf runs empty
(kind late_purchase_order); these nullable columns carry which order, when it is expected and
how many units a bridging order must bring. Other kinds leave them NULL.

Revision ID: 0901
Revises: 0900
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0901"
down_revision: str | None = "0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "inventory_anomalies", sa.Column("purchase_order_id", sa.BigInteger(), nullable=True)
    )
    op.add_column("inventory_anomalies", sa.Column("arrives_on", sa.Date(), nullable=True))
    op.add_column("inventory_anomalies", sa.Column("bridge_quantity", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("inventory_anomalies", "bridge_quantity")
    op.drop_column("inventory_anomalies", "arrives_on")
    op.drop_column("inventory_anomalies", "purchase_order_id")
