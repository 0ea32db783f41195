"""customer profit and price sensitivity: profit CLV, discount buyers, product elasticities

`customer_metrics` gains the customer's margin so far, the margin share, CLV as expected
profit, the share of units bought at a discount with the buyer class, and the discount advice;
`customer_run_summaries` stages the profit and discount sums per customer; and
`product_elasticities` holds each product's (and category's) own-price elasticity with its
interval, or why it is unknown, plus the regular price discounts are measured against.

Revision ID: 1500
Revises: 1400
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1500"
down_revision: str | None = "1400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRIC_COLUMNS = (
    ("profit_total", sa.Numeric(14, 2)),
    ("margin_rate", sa.Float()),
    ("clv_profit_12m", sa.Numeric(14, 2)),
    ("discount_share", sa.Float()),
    ("price_buyer", sa.String(length=20)),
    ("discount_advice", sa.String(length=20)),
)
SUMMARY_COLUMNS = ("profit_total", "units", "discounted_units")


def upgrade() -> None:
    for name, kind in METRIC_COLUMNS:
        op.add_column("customer_metrics", sa.Column(name, kind, nullable=True))
    op.create_index(
        "ix_customer_metrics_shop_clv_profit",
        "customer_metrics",
        ["shop_id", sa.text("coalesce(clv_profit_12m, 0)"), "customer_key"],
    )
    for name in SUMMARY_COLUMNS:
        op.add_column("customer_run_summaries", sa.Column(name, sa.Float(), nullable=True))
    op.create_table(
        "product_elasticities",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("category", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("elasticity", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("price_levels", sa.Integer(), nullable=False),
        sa.Column("price_spread", sa.Float(), nullable=False),
        sa.Column("units", sa.Float(), nullable=False),
        sa.Column("reference_price", sa.Numeric(14, 2), nullable=True),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("shop_id", "scope", "key"),
    )


def downgrade() -> None:
    op.drop_table("product_elasticities")
    for name in reversed(SUMMARY_COLUMNS):
        op.drop_column("customer_run_summaries", name)
    op.drop_index("ix_customer_metrics_shop_clv_profit", table_name="customer_metrics")
    for name, _ in reversed(METRIC_COLUMNS):
        op.drop_column("customer_metrics", name)
