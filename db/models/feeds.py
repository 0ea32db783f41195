"""A shop's catalog feeds: the secret of their URLs and what the last generation wrote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column
from db.secrets import EncryptedText


class ShopFeed(Base):
    __tablename__ = "shop_feeds"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    # the URL's secret: looked up by its SHA-256, kept encrypted so the owner can copy it again
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(EncryptedText)
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # [{"id": "PPL", "price": "89", "price_cod": "119"}, ...]: Heureka/Zboží DELIVERY blocks
    delivery: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
    out_of_stock_days: Mapped[int] = mapped_column(Integer, server_default="14")
    generated_at: Mapped[datetime | None]
    items: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")  # format -> count
    created_at: Mapped[datetime] = created_column()
