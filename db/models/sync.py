"""Where each shop's incremental sync of each resource got to in Shoptet's change feed, and
the documents it could not load."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column, updated_column


class SyncCursor(Base):
    __tablename__ = "sync_cursors"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    resource: Mapped[str] = mapped_column(String(20), primary_key=True)
    changed_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_reconciled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(2000))
    items_synced: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = updated_column()


class SyncReject(Base):
    """A Shoptet document the sync could not map to rows, kept for inspection."""

    __tablename__ = "sync_rejects"
    __table_args__ = (Index("ix_sync_rejects_shop_created", "shop_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(String(100))  # order code or guid
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
