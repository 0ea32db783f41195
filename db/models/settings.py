"""Runtime-editable settings: app-wide (shop_id NULL) or per shop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, updated_column


class AppSetting(Base):
    __tablename__ = "app_settings"
    __table_args__ = (
        Index(
            "uq_app_settings_key_shop",
            "key",
            "shop_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    value: Mapped[Any] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = updated_column()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
