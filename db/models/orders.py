"""Orders and their items, range-partitioned by the order's creation time (one partition a quarter).

The partition key is part of every unique key (a PostgreSQL rule), so upserts conflict on
`(shop_id, code, created_at)` and items carry their order's `created_at` to land in the same quarter.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, Numeric, String, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

PARTITIONED = {"postgresql_partition_by": "RANGE (created_at)"}
# A guest order's customer identity: its e-mail, case and surrounding spaces ignored
# (customer analytics; docs/customer-analytics.md, "Who is a customer").
EMAIL_KEY = "lower(btrim(email))"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_shop_created", "shop_id", "created_at", "code"),
        Index("ix_orders_shop_changed", "shop_id", "changed_at"),
        Index("ix_orders_shop_status_created", "shop_id", "status_id", "created_at"),
        Index("ix_orders_shop_email", "shop_id", "email"),
        Index("ix_orders_shop_customer", "shop_id", "customer_guid"),
        Index(
            "ix_orders_shop_guest_email_key",
            "shop_id",
            text(EMAIL_KEY),
            postgresql_where=text("customer_guid IS NULL"),
        ),
        PARTITIONED,
    )

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    changed_at: Mapped[datetime | None]
    status_id: Mapped[int | None] = mapped_column(Integer)
    status_name: Mapped[str | None] = mapped_column(String(100))
    cancelled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    paid: Mapped[bool | None] = mapped_column(Boolean)
    source_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    customer_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    billing_name: Mapped[str | None] = mapped_column(String(200))
    billing_company: Mapped[str | None] = mapped_column(String(200))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_zip: Mapped[str | None] = mapped_column(String(20))
    billing_country: Mapped[str | None] = mapped_column(String(2))
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    shipping_name: Mapped[str | None] = mapped_column(String(200))
    payment_name: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), server_default="CZK")
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(16, 8))
    total_with_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_without_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    total_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    to_pay: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    item_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # where the order came from: shoptet | b2b | … (revision 1100 adds it only when absent)
    channel: Mapped[str] = mapped_column(Text, server_default="shoptet")
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # where the order was placed (db.models.channels.CHANNELS); last, as revision 1000 added it
    channel: Mapped[str] = mapped_column(Text, server_default="shoptet")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        Index("ix_order_items_shop_code", "shop_id", "code", "created_at"),
        PARTITIONED,
    )

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # the order's creation time: the partition key
    created_at: Mapped[datetime] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(String(30))
    product_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    code: Mapped[str | None] = mapped_column(String(100))
    ean: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    variant_name: Mapped[str | None] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    amount_unit: Mapped[str | None] = mapped_column(String(20))
    unit_price_with_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    price_with_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    price_without_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    purchase_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    status_id: Mapped[int | None] = mapped_column(Integer)
