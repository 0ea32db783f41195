"""Sales channels beyond Shoptet and the one stock they share.

A `ChannelConnection` is one external store of a shop (a WooCommerce site) with its API keys
encrypted at rest. `ChannelStock` is the per-variant row every channel's order locks to reserve
units, so two channels cannot sell the last unit twice; `StockReservation` is one order's claim
on one variant (`reserved`, `released`, or `oversold` when there was nothing left to reserve).
`ChannelListing` maps a variant to its product on a channel and remembers the last quantity
pushed there, so a stock push only sends what changed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column, updated_column
from db.models.shop_runs import shop_fk
from db.secrets import EncryptedText

# orders.channel values; Shoptet is the default (its orders predate channels) and the stock master
SHOPTET = "shoptet"
WOOCOMMERCE = "woocommerce"
B2B = "b2b"
CHANNELS = (SHOPTET, WOOCOMMERCE, B2B)
CONNECTION_KINDS = (WOOCOMMERCE,)  # kinds a merchant connects (Shoptet comes with installation)

RESERVED = "reserved"
RELEASED = "released"
OVERSOLD = "oversold"


class ChannelConnection(Base):
    __tablename__ = "channel_connections"
    __table_args__ = (Index("uq_channel_connections_shop_url", "shop_id", "base_url", unique=True),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))
    consumer_key: Mapped[str] = mapped_column(EncryptedText)
    consumer_secret: Mapped[str] = mapped_column(EncryptedText)
    # active | failing (the last sync failed; last_error says why)
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    # the newest date_modified (GMT) of an imported order: the next pull starts there
    orders_cursor: Mapped[datetime | None]
    orders_imported: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # its Temporal schedule (workflows.schedules.channel_sync_schedule) runs a sync this often
    sync_interval_minutes: Mapped[int] = mapped_column(Integer, server_default="15")
    stock_push_enabled: Mapped[bool] = mapped_column(server_default=true())
    # each sync also pushes prices (and stock) of the listed SKUs (migration 2100)
    catalog_push_enabled: Mapped[bool] = mapped_column(server_default=false())
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class ChannelStock(Base):
    """Units reserved by channel orders per variant; the row is the lock of a reservation.

    Available to sell = on hand at the stock master (Shoptet's `variants.stock_total`) − reserved.
    """

    __tablename__ = "channel_stock"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Numeric(14, 3), server_default="0")
    reserved: Mapped[Decimal] = mapped_column(Numeric(14, 3), server_default="0")
    updated_at: Mapped[datetime] = updated_column()


class StockReservation(Base):
    __tablename__ = "stock_reservations"
    __table_args__ = (
        Index(
            "uq_stock_reservations_order_variant",
            "shop_id", "channel", "order_code", "variant_code",
            unique=True,
        ),
        Index(
            "ix_stock_reservations_oversold", "shop_id", "created_at",
            postgresql_where=text("status = 'oversold'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    channel: Mapped[str] = mapped_column(String(20))
    order_code: Mapped[str] = mapped_column(String(50))
    variant_code: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    status: Mapped[str] = mapped_column(String(20))
    # what was available when the order came in (an oversold order's shortfall is quantity − this)
    available_before: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    created_at: Mapped[datetime] = created_column()
    released_at: Mapped[datetime | None]


class ChannelListing(Base):
    __tablename__ = "channel_listings"
    __table_args__ = (Index("ix_channel_listings_connection_sku", "connection_id", "variant_code"),)

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("channel_connections.id", ondelete="CASCADE"), primary_key=True
    )
    remote_id: Mapped[str] = mapped_column(String(60), primary_key=True)  # "product" or "product/variation"
    shop_id: Mapped[int] = mapped_column(BigInteger)
    variant_code: Mapped[str] = mapped_column(String(100))
    remote_quantity: Mapped[int | None] = mapped_column(Integer)  # as last read or pushed
    pushed_at: Mapped[datetime | None]
    seen_at: Mapped[datetime] = created_column()
