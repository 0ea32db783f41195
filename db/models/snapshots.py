"""Snapshot runs (one per SnapshotWorkflow execution chain) and their quarantined lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column, updated_column

RUN_STATUSES = (
    "pending",  # row made, workflow not yet running
    "running",
    "completed",
    "completed_with_rejects",
    "failed",
    "cancelled",
)


class SnapshotRun(Base):
    __tablename__ = "snapshot_runs"
    __table_args__ = (
        Index("ix_snapshot_runs_shop_requested", "shop_id", "requested_at"),
        Index("ix_snapshot_runs_status", "status", "requested_at"),
        Index(
            "uq_snapshot_runs_active",
            "shop_id",
            "resource",
            unique=True,
            postgresql_where=text("status IN ('pending', 'running')"),
        ),
        Index("ix_snapshot_runs_job", "shop_id", "job_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(20))  # orders | products | customers
    workflow_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(30), server_default="pending")
    # requested | waiting | downloading | ingesting | done
    phase: Mapped[str] = mapped_column(String(30), server_default="requested")
    trigger: Mapped[str] = mapped_column(String(30), server_default="api")
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    job_id: Mapped[str | None] = mapped_column(String(50))
    file_path: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_bytes: Mapped[int | None] = mapped_column(BigInteger)
    total_lines: Mapped[int | None] = mapped_column(BigInteger)
    processed_lines: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rows_upserted: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rejected_lines: Mapped[int] = mapped_column(BigInteger, server_default="0")
    rate_lines_per_s: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    eta_seconds: Mapped[Decimal | None] = mapped_column(Numeric(14, 1))
    attempt: Mapped[int] = mapped_column(Integer, server_default="1")
    # a retried chunk that continued from its last heartbeat (worker crash) records it here
    resume_count: Mapped[int] = mapped_column(Integer, server_default="0")
    resumed_from_line: Mapped[int | None] = mapped_column(BigInteger)
    retry_of: Mapped[int | None] = mapped_column(
        ForeignKey("snapshot_runs.id", ondelete="SET NULL")
    )
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = created_column()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = updated_column()


class SnapshotReject(Base):
    """A snapshot line that could not be ingested, kept verbatim with the reason."""

    __tablename__ = "snapshot_rejects"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("snapshot_runs.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shop_id: Mapped[int] = mapped_column(BigInteger)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()
