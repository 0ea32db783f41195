"""Customers of a shop, keyed by Shoptet's GUID."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.orders import EMAIL_KEY


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_shop_email", "shop_id", "email"),
        Index("ix_customers_shop_changed", "shop_id", "changed_at"),
        # the identity key guest orders are matched on (customer analytics)
        Index("ix_customers_shop_email_key", "shop_id", text(EMAIL_KEY)),
    )

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    guid: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    full_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    zip: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    customer_group: Mapped[str | None] = mapped_column(String(100))
    disabled_orders: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())
