"""A merchant's data exports: what was asked for, how far the writer got, and the file."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column

EXPORT_STATUSES = ("pending", "running", "done", "failed", "expired")


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (
        Index("ix_exports_shop_created", "shop_id", "created_at"),
        Index("ix_exports_expiring", "expires_at", postgresql_where=text("file_path IS NOT NULL")),
        CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed', 'expired')", name="status"
        ),
        CheckConstraint("format IN ('csv', 'xlsx')", name="format"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(8))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    rows_done: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_estimate: Mapped[int | None] = mapped_column(BigInteger)
    file_path: Mapped[str | None] = mapped_column(Text)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    peak_rss_mb: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
