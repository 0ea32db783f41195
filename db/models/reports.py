"""Reports a shop receives: the weekly sales report, as data and as HTML and PDF per language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column
from db.models.shop_runs import shop_fk


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "period_start", name="uq_reports_shop_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    kind: Mapped[str] = mapped_column(String(30))  # weekly_sales
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    summary_en: Mapped[str | None] = mapped_column(Text)  # the AI provider's plain-language summary
    summary_cs: Mapped[str | None] = mapped_column(Text)
    html_en: Mapped[str | None] = mapped_column(Text)
    html_cs: Mapped[str | None] = mapped_column(Text)
    pdf_en: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_cs: Mapped[bytes | None] = mapped_column(LargeBinary)
    emailed_to: Mapped[list[str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_column()
