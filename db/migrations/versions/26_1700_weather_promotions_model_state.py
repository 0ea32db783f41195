"""promotions: the merchant's promotions calendar, a regressor of the demand forecasts

One row per promotion over whole shop-local days (ends_on >= starts_on), for the whole shop or
scoped to one variant or category; and per variant metric the backtest MASE without and with
the external regressors and their gain.

Revision ID: 1700
Revises: 1600
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1700"
down_revision: str | None = "1600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGRESSOR_COLUMNS = ("mase_without_regressors", "mase_with_regressors", "regressor_gain")


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "shop_id", sa.BigInteger(), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("variant_code", sa.String(100)),
        sa.Column("category", sa.String(200)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("ends_on >= starts_on", name="promotions_ends_after_start"),
    )
    op.create_index("promotions_shop_days", "promotions", ["shop_id", "starts_on", "ends_on"])
    for column in REGRESSOR_COLUMNS:
        op.add_column("inventory_variant_metrics", sa.Column(column, sa.Float()))


def downgrade() -> None:
    for column in REGRESSOR_COLUMNS:
        op.drop_column("inventory_variant_metrics", column)
    op.drop_table("promotions")
