"""channels: `orders.channel`, channel connections, unified stock and reservations

- `orders.channel` / `orders_archive.channel` text NOT NULL DEFAULT 'shoptet': a constant
  default is stored in the catalog since PostgreSQL 11, so the ADD COLUMN rewrites no row and
  holds its lock for milliseconds (the migrate-check rule flags every DEFAULT conservatively);
  the `orders_all` view is re-created so history queries see the column;
- `channel_connections` (API keys encrypted), `channel_stock` (per-variant reserved units, the
  row a reservation locks), `stock_reservations`, `channel_listings`.

Revision ID: 1000
Revises: 0940
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1000"
down_revision: str | None = "0940"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDERS_VIEW = "CREATE OR REPLACE VIEW orders_all AS SELECT * FROM orders UNION ALL SELECT * FROM orders_archive"


def _ts(name: str, nullable: bool = True) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _now(name: str) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    for table in ("orders", "orders_archive"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN channel text NOT NULL DEFAULT 'shoptet'")
    op.execute(ORDERS_VIEW)
    op.create_table(
        "channel_connections",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("consumer_key", sa.Text(), nullable=False),
        sa.Column("consumer_secret", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), server_default="active", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("last_error_at"),
        _ts("last_sync_at"),
        _ts("orders_cursor"),
        sa.Column("orders_imported", sa.BigInteger(), server_default="0", nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], ondelete="CASCADE",
            name="fk_channel_connections_shop_id_shops",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_channel_connections"),
    )
    op.create_index(
        "uq_channel_connections_shop_url", "channel_connections", ["shop_id", "base_url"],
        unique=True,
    )
    op.create_table(
        "channel_stock",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_code", sa.String(100), nullable=False),
        sa.Column("on_hand", sa.Numeric(14, 3), server_default="0", nullable=False),
        sa.Column("reserved", sa.Numeric(14, 3), server_default="0", nullable=False),
        _now("updated_at"),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], ondelete="CASCADE", name="fk_channel_stock_shop_id_shops"
        ),
        sa.PrimaryKeyConstraint("shop_id", "variant_code", name="pk_channel_stock"),
    )
    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("order_code", sa.String(50), nullable=False),
        sa.Column("variant_code", sa.String(100), nullable=False),
        sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("available_before", sa.Numeric(14, 3), nullable=False),
        _now("created_at"),
        _ts("released_at"),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], ondelete="CASCADE",
            name="fk_stock_reservations_shop_id_shops",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stock_reservations"),
    )
    op.create_index(
        "uq_stock_reservations_order_variant", "stock_reservations",
        ["shop_id", "channel", "order_code", "variant_code"], unique=True,
    )
    op.create_index(
        "ix_stock_reservations_oversold", "stock_reservations", ["shop_id", "created_at"],
        postgresql_where=sa.text("status = 'oversold'"),
    )
    op.create_table(
        "channel_listings",
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("remote_id", sa.String(60), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_code", sa.String(100), nullable=False),
        sa.Column("remote_quantity", sa.Integer(), nullable=True),
        _ts("pushed_at"),
        _now("seen_at"),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["channel_connections.id"], ondelete="CASCADE",
            name="fk_channel_listings_connection_id_channel_connections",
        ),
        sa.PrimaryKeyConstraint("connection_id", "remote_id", name="pk_channel_listings"),
    )
    op.create_index(
        "ix_channel_listings_connection_sku", "channel_listings", ["connection_id", "variant_code"]
    )


def downgrade() -> None:
    op.drop_table("channel_listings")
    op.drop_table("stock_reservations")
    op.drop_table("channel_stock")
    op.drop_table("channel_connections")
    # the view selects every column: drop it, drop the column, re-create it as before
    op.execute("DROP VIEW orders_all")
    for table in ("orders", "orders_archive"):
        op.execute(f"ALTER TABLE {table} DROP COLUMN channel")
    op.execute(ORDERS_VIEW)
