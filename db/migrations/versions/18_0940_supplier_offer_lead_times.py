"""suppliers page: an offer's own lead time, and when a purchase order was e-mailed

A supplier's lead time is the default for its offers; an offer may name its own (a variant made
to order takes longer than one on the supplier's shelf), so `supplier_offers` gets nullable
`lead_time_days` / `lead_time_sd_days` that override the supplier's, and `updated_at`.
`purchase_orders.emailed_at` / `emailed_to` record the order sent to the supplier.

Revision ID: 0940
Revises: 0930
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0940"
down_revision: str | None = "0930"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("supplier_offers", sa.Column("lead_time_days", sa.Numeric(8, 2), nullable=True))
    op.add_column(
        "supplier_offers", sa.Column("lead_time_sd_days", sa.Numeric(8, 2), nullable=True)
    )
    op.add_column(
        "supplier_offers",
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.add_column(
        "purchase_orders", sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("purchase_orders", sa.Column("emailed_to", sa.String(320), nullable=True))


def downgrade() -> None:
    op.drop_column("purchase_orders", "emailed_to")
    op.drop_column("purchase_orders", "emailed_at")
    op.drop_column("supplier_offers", "updated_at")
    op.drop_column("supplier_offers", "lead_time_sd_days")
    op.drop_column("supplier_offers", "lead_time_days")
