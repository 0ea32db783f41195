"""Safety: database backups (pg_dump files) with their checksum, row counts at dump time and
verify state, PITR base backups, and integrity runs with what each check found (a check that
errors is stored as a failure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column

# running | completed | failed | deleted
BACKUP_STATUSES = ("running", "completed", "failed", "deleted")
# passed | failed (counts differ or restore failed) | corrupt (checksum mismatch)
VERIFY_STATUSES = ("passed", "failed", "corrupt")


class Backup(Base):
    __tablename__ = "backups"
    __table_args__ = (Index("ix_backups_status_started", "status", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # the file's name in backup storage; also the idempotency key of one scheduled run
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), server_default="running")
    storage: Mapped[str] = mapped_column(String(200))  # e.g. dir:/var/lib/shopops/backups
    database: Mapped[str] = mapped_column(String(100))
    server_version: Mapped[str | None] = mapped_column(String(50))
    file_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # {table: rows} counted in the same snapshot pg_dump used
    table_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    verify_status: Mapped[str | None] = mapped_column(String(20))
    verified_at: Mapped[datetime | None]
    # {"mismatches": {table: [dumped, restored]}, "seconds": …, "error": …}
    verify_detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class PitrBaseBackup(Base):
    """A pg_basebackup under the PITR root; archived WAL from `start_wal` on rolls it forward.

    The files and their `shopops-base.json` manifest are the truth for a restore; this row is
    the record monitoring and pruning read (base backups taken by the CLI are adopted into it).
    """

    __tablename__ = "pitr_base_backups"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. 20261128T023000Z
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default="completed")  # completed | deleted
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    bytes: Mapped[int] = mapped_column(BigInteger)
    server_major: Mapped[int]
    start_wal: Mapped[str | None] = mapped_column(String(24))  # first segment recovery needs
    deleted_at: Mapped[datetime | None]


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
