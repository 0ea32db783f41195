"""Where each shop's incremental sync of each resource got to in Shoptet's change feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, updated_column


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
