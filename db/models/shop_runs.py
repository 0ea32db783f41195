"""What every per-shop analytics run record has: the Temporal run it belongs to (whose workflow
id is the shop's lock), why it ran, and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

FIRST = -1  # sort_order: the shared columns lead the table, as they did before this mixin


def shop_fk() -> ForeignKey:
    return ForeignKey("shops.id", ondelete="CASCADE")


class ShopRunRecord:
    """Mixin of a run table: the columns and indexes shared by every run of a shop."""

    __tablename__: ClassVar[str]  # set by each run table

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        table = cls.__tablename__
        return (
            Index(f"ix_{table}_shop_started", "shop_id", "started_at"),
            Index(f"uq_{table}_workflow_run", "workflow_id", "run_id", unique=True),
        )

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=True, sort_order=FIRST
    )
    shop_id: Mapped[int] = mapped_column(shop_fk(), sort_order=FIRST)
    workflow_id: Mapped[str] = mapped_column(String(200), sort_order=FIRST)
    run_id: Mapped[str] = mapped_column(String(100), sort_order=FIRST)
    trigger: Mapped[str] = mapped_column(String(20), server_default="schedule", sort_order=FIRST)
    # running | completed | failed, or the domain's own ending (e.g. not_enough_data)
    status: Mapped[str] = mapped_column(String(20), server_default="running", sort_order=FIRST)
    message: Mapped[str | None] = mapped_column(Text, sort_order=FIRST)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), sort_order=FIRST
    )
    finished_at: Mapped[datetime | None] = mapped_column(sort_order=FIRST)
