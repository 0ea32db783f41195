"""The newest fencing token each Redis lock has written with (see db/locks.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, updated_column


class LockFence(Base):
    __tablename__ = "lock_fences"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    fence: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = updated_column()
