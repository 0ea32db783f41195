"""What a shop sells: products, their translations and variants, stocks and suppliers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_shop_visibility", "shop_id", "visibility"),
        Index("ix_products_shop_changed", "shop_id", "changed_at"),
    )

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    guid: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[str | None] = mapped_column(String(30))
    visibility: Mapped[str | None] = mapped_column(String(30))
    brand: Mapped[str | None] = mapped_column(String(200))
    default_category: Mapped[str | None] = mapped_column(String(300))
    supplier_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # what catalog feeds link to (revision 1100); NULL: derived from the shop's URL / left out
    url: Mapped[str | None] = mapped_column(String(1000))
    image_url: Mapped[str | None] = mapped_column(String(1000))
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ProductTranslation(Base):
    __tablename__ = "product_translations"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_guid: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)


class Variant(Base):
    __tablename__ = "variants"
    __table_args__ = (Index("ix_variants_shop_product", "shop_id", "product_guid"),)

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_guid: Mapped[uuid.UUID] = mapped_column(Uuid)
    ean: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(300))
    price_with_vat: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    purchase_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), server_default="CZK")
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    stock_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    availability: Mapped[str | None] = mapped_column(String(100))
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Stock(Base):
    __tablename__ = "stocks"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    stock_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, server_default="false")


class StockLevel(Base):
    __tablename__ = "stock_levels"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stock_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    claim: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    location: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DeliveryRecord:
    """What the nightly planning learnt from the purchase orders (revision 1600): lead time
    and its spread in days, the on-time rate, received lines, late ones among them, open lines
    past their day, and when (activities.inventory.supplier_risk)."""

    learnt_lead_time_days: Mapped[float | None] = mapped_column(Float)
    learnt_lead_time_sd_days: Mapped[float | None] = mapped_column(Float)
    on_time_rate: Mapped[float | None] = mapped_column(Float)
    deliveries: Mapped[int | None] = mapped_column(Integer)
    late_deliveries: Mapped[int | None] = mapped_column(Integer)
    overdue_orders: Mapped[int | None] = mapped_column(Integer)
    learnt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Supplier(DeliveryRecord, Base):
    __tablename__ = "suppliers"
    __table_args__ = (Index("uq_suppliers_shop_name", "shop_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3), server_default="CZK")
    lead_time_days: Mapped[Decimal] = mapped_column(Numeric(8, 2), server_default="7")
    lead_time_sd_days: Mapped[Decimal] = mapped_column(Numeric(8, 2), server_default="2")
    order_cost: Mapped[Decimal] = mapped_column(Numeric(14, 2), server_default="0")


class SupplierOffer(DeliveryRecord, Base):
    """What one supplier charges for one variant, with its ordering constraints."""

    __tablename__ = "supplier_offers"
    __table_args__ = (Index("ix_supplier_offers_shop_variant", "shop_id", "variant_code"),)

    shop_id: Mapped[int] = mapped_column(BigInteger)
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True
    )
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    moq: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    pack_size: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    # all-units discounts: [[min_quantity, unit_price], ...]
    price_breaks: Mapped[list[Any] | None] = mapped_column(JSONB)
    # this offer's own lead time (revision 0940); NULL: the supplier's
    lead_time_days: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    lead_time_sd_days: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # units the supplier has (revision 1600); NULL: not known, 0: out of stock
    supplier_stock: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
