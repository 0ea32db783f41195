"""Resellers (B2B): their price lists, API keys, and the idempotency record of their orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column


class PriceList(Base):
    """What a reseller pays: `discount_percent` off the shop price, unless the variant has its
    own price in `price_list_items`."""

    __tablename__ = "price_lists"
    __table_args__ = (Index("ix_price_lists_shop", "shop_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default="0")
    created_at: Mapped[datetime] = created_column()


class PriceListItem(Base):
    __tablename__ = "price_list_items"

    price_list_id: Mapped[int] = mapped_column(
        ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True
    )
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Reseller(Base):
    __tablename__ = "resellers"
    __table_args__ = (Index("ix_resellers_shop", "shop_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = created_column()
    revoked_at: Mapped[datetime | None]


class ResellerKey(Base):
    """An API key of a reseller: only its SHA-256 is stored (the key is shown once)."""

    __tablename__ = "reseller_keys"
    __table_args__ = (Index("ix_reseller_keys_reseller", "reseller_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, so a key can be recognised
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ResellerOrder(Base):
    """An order submission's idempotency key and the order it created."""

    __tablename__ = "reseller_orders"

    reseller_id: Mapped[int] = mapped_column(
        ForeignKey("resellers.id", ondelete="CASCADE"), primary_key=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[int] = mapped_column(BigInteger)
    order_code: Mapped[str] = mapped_column(String(50))
    order_created_at: Mapped[datetime]
    created_at: Mapped[datetime] = created_column()
