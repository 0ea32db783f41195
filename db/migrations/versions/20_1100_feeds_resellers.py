"""channels: catalog feeds and the reseller (B2B) API

`shop_feeds`: one row per shop that publishes catalog feeds: the hash of its unguessable feed
token (the URL's secret; the token itself is kept encrypted so the owner can see the URL again),
the delivery blocks and the out-of-stock delivery days the feeds announce, and what the last
generation wrote. `products.url` / `products.image_url`: what every marketplace feed requires
and the catalog had no column for.

`price_lists` (a percentage discount and/or per-variant prices in `price_list_items`),
`resellers` (one shop, one price list), `reseller_keys` (hashed API keys, shown once) and
`reseller_orders` (an order submission's idempotency key → the order it created).

`orders.channel` says where an order came from; the channels adapter branch adds the same
column, so it is added only when absent (on the partitioned parents of `orders` and its
archive twin, which propagate it to every partition).

Revision ID: 1100
Revises: 1000
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "1100"
down_revision: str | None = "1000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    # the archive twin too: attaching a quarter needs identical columns (a constant default is
    # a catalog change, no table rewrite)
    for table in ("orders", "orders_archive"):
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS channel text NOT NULL DEFAULT 'shoptet'"
        )
    op.add_column("products", sa.Column("url", sa.String(1000), nullable=True))
    op.add_column("products", sa.Column("image_url", sa.String(1000), nullable=True))
    op.create_table(
        "shop_feeds",
        sa.Column("shop_id", sa.BigInteger, sa.ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("delivery", JSONB, nullable=False, server_default="[]"),
        sa.Column("out_of_stock_days", sa.Integer, nullable=False, server_default="14"),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("items", JSONB, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_table(
        "price_lists",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("shop_id", sa.BigInteger, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("discount_percent", sa.Numeric(5, 2), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("discount_percent >= 0 AND discount_percent < 100", name="ck_price_lists_discount"),
    )
    op.create_index("ix_price_lists_shop", "price_lists", ["shop_id"])
    op.create_table(
        "price_list_items",
        sa.Column("price_list_id", sa.BigInteger, sa.ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("variant_code", sa.String(100), primary_key=True),
        sa.Column("price", sa.Numeric(14, 2), nullable=False),
        sa.CheckConstraint("price >= 0", name="ck_price_list_items_price"),
    )
    op.create_table(
        "resellers",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("shop_id", sa.BigInteger, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False),
        sa.Column("price_list_id", sa.BigInteger, sa.ForeignKey("price_lists.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_resellers_shop", "resellers", ["shop_id"])
    op.create_table(
        "reseller_keys",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("reseller_id", sa.BigInteger, sa.ForeignKey("resellers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reseller_keys_reseller", "reseller_keys", ["reseller_id"])
    op.create_table(
        "reseller_orders",
        sa.Column("reseller_id", sa.BigInteger, sa.ForeignKey("resellers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("shop_id", sa.BigInteger, nullable=False),
        sa.Column("order_code", sa.String(50), nullable=False),
        sa.Column("order_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )


def downgrade() -> None:
    op.drop_table("reseller_orders")
    op.drop_table("reseller_keys")
    op.drop_table("resellers")
    op.drop_table("price_list_items")
    op.drop_table("price_lists")
    op.drop_table("shop_feeds")
    op.drop_column("products", "image_url")
    op.drop_column("products", "url")
    # orders.channel stays: the channels domain owns it once merged (it is added only if absent)
