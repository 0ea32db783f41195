"""Integrity runs and what each check found; a check that errors is stored as a failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column

# passed | failed (the check found a fault) | error (the check could not run) | skipped (with reason)
FINDING_STATUSES = ("passed", "failed", "error", "skipped")


class IntegrityRun(Base):
    __tablename__ = "integrity_runs"
    __table_args__ = (Index("ix_integrity_runs_started", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str | None] = mapped_column(String(200))
    # running | passed | failed
    status: Mapped[str] = mapped_column(String(20), server_default="running")
    checks_failed: Mapped[int] = mapped_column(Integer, server_default="0")
    started_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]


class IntegrityFinding(Base):
    __tablename__ = "integrity_findings"
    __table_args__ = (Index("ix_integrity_findings_run", "run_id", "check"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("integrity_runs.id", ondelete="CASCADE"))
    check: Mapped[str] = mapped_column(String(50))
    shop_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    faults: Mapped[int] = mapped_column(BigInteger, server_default="0")
    detail: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = created_column()
