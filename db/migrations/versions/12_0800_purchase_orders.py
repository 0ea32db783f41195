"""purchase orders and their lines; the stock on order per variant in the planning's metrics

Open purchase-order lines' unreceived units are the stock on order the nightly inventory
planning nets out of its needs (inventory_variant_metrics.on_order records what it used).

Revision ID: 0800
Revises: 0102
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0800"
down_revision: str | None = "0102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="CZK", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "ordered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'received', 'cancelled')", name=op.f("ck_purchase_orders_status")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_purchase_orders_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_purchase_orders_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_purchase_orders_supplier_id_suppliers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    op.create_index(
        "ix_purchase_orders_shop_id", "purchase_orders", ["shop_id", "id"], unique=False
    )
    op.create_index(
        "ix_purchase_orders_shop_status",
        "purchase_orders",
        ["shop_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_purchase_orders_supplier_id"), "purchase_orders", ["supplier_id"], unique=False
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_code", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column(
            "received_quantity",
            sa.Numeric(precision=14, scale=3),
            server_default="0",
            nullable=False,
        ),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("recommendation_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "received_quantity >= 0", name=op.f("ck_purchase_order_lines_received_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_purchase_order_lines_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
    )
    op.create_index(
        op.f("ix_purchase_order_lines_purchase_order_id"),
        "purchase_order_lines",
        ["purchase_order_id"],
        unique=False,
    )
    op.create_index(
        "ix_purchase_order_lines_recommendation",
        "purchase_order_lines",
        ["recommendation_id"],
        unique=False,
        postgresql_where=sa.text("recommendation_id IS NOT NULL"),
    )
    op.create_index(
        "ix_purchase_order_lines_shop_variant",
        "purchase_order_lines",
        ["shop_id", "variant_code"],
        unique=False,
        postgresql_where=sa.text("received_quantity < quantity"),
    )
    op.add_column(
        "inventory_variant_metrics",
        sa.Column(
            "on_order", sa.Numeric(precision=14, scale=3), server_default="0", nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("inventory_variant_metrics", "on_order")
    op.drop_index(
        "ix_purchase_order_lines_shop_variant",
        table_name="purchase_order_lines",
        postgresql_where=sa.text("received_quantity < quantity"),
    )
    op.drop_index(
        "ix_purchase_order_lines_recommendation",
        table_name="purchase_order_lines",
        postgresql_where=sa.text("recommendation_id IS NOT NULL"),
    )
    op.drop_index(
        op.f("ix_purchase_order_lines_purchase_order_id"), table_name="purchase_order_lines"
    )
    op.drop_table("purchase_order_lines")
    op.drop_index(op.f("ix_purchase_orders_supplier_id"), table_name="purchase_orders")
    op.drop_index("ix_purchase_orders_shop_status", table_name="purchase_orders")
    op.drop_index("ix_purchase_orders_shop_id", table_name="purchase_orders")
    op.drop_table("purchase_orders")
