"""What each shop used of a metered outbound call per day, and the daily budgets admins set."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.models.shop_runs import shop_fk


class UsageDay(Base):
    """A day's counters, flushed from Redis (`db.metering`); shop 0 is app-wide use."""

    __tablename__ = "usage_daily"

    shop_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, server_default="0")
    refused: Mapped[int] = mapped_column(BigInteger, server_default="0")


class UsageBudget(Base):
    """A shop's daily limit of one kind; no row means no limit."""

    __tablename__ = "usage_budgets"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    daily_limit: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
