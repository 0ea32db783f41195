"""What the monitoring page reads besides live catalogs: statement and size snapshots, latency
minute buckets written by every process, captured errors, check states and open alerts.

Every process writes its own in-memory figures here (db/telemetry_store.py), so the page shows
the whole deployment, not the one API process that answers it. Rows older than
`monitoring.retention_days` are pruned by the monitoring snapshot workflow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column


class StatementSample(Base):
    """Calls and time one statement (pg_stat_statements queryid) added between two snapshots."""

    __tablename__ = "monitoring_statements"
    __table_args__ = (Index("ix_monitoring_statements_queryid", "queryid", "captured_at"),)

    captured_at: Mapped[datetime] = mapped_column(primary_key=True)
    queryid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    query: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(BigInteger)
    total_ms: Mapped[float] = mapped_column(Float)
    rows: Mapped[int] = mapped_column(BigInteger)


class StatementTotal(Base):
    """The cumulative counters of the previous snapshot, so the next one stores only the delta."""

    __tablename__ = "monitoring_statement_totals"

    queryid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger)
    total_ms: Mapped[float] = mapped_column(Float)
    rows: Mapped[int] = mapped_column(BigInteger)
    captured_at: Mapped[datetime]


class TableSize(Base):
    """Size of each table and partition at one moment (hourly), for growth per day."""

    __tablename__ = "monitoring_table_sizes"

    captured_at: Mapped[datetime] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    parent: Mapped[str | None] = mapped_column(String(200))  # the partitioned table, if a partition
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger)  # planner estimate (reltuples)


class LatencyMinute(Base):
    """One minute of durations of one series (`kind`: http, activity, sql, cache; `name`: route,
    activity type, statement kind, cache level): count, sum, max and a fixed-bucket histogram."""

    __tablename__ = "monitoring_latency_minutes"

    minute: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    sum_ms: Mapped[float] = mapped_column(Float)
    max_ms: Mapped[float] = mapped_column(Float)
    # counts per bucket of db.telemetry_store.BUCKETS_MS (the last one is "above the top bound")
    buckets: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class ErrorGroup(Base):
    """Every occurrence of one error fingerprint (type + normalised message + top frames)."""

    __tablename__ = "monitoring_errors"
    __table_args__ = (Index("ix_monitoring_errors_last_seen", "last_seen"),)

    fingerprint: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # api | activity | worker
    error_type: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)  # normalised: numbers, ids and quoted values masked
    sample: Mapped[str] = mapped_column(Text)  # the latest message as raised, secrets redacted
    frames: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    count: Mapped[int] = mapped_column(BigInteger)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    last_trace_id: Mapped[str | None] = mapped_column(String(32))
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class ErrorMinute(Base):
    """Occurrences of one fingerprint in one minute: the error timeline and the spike check."""

    __tablename__ = "monitoring_error_minutes"

    minute: Mapped[datetime] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class CheckState(Base):
    """The latest evaluated state of each check (written by the monitoring checks workflow)."""

    __tablename__ = "monitoring_check_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    part: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))  # ok | warn | critical | unavailable
    value: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime]
    changed_at: Mapped[datetime]


class Alert(Base):
    """A check that turned critical; at most one open per check, resolved when it turns ok."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (
        Index(
            "uq_monitoring_alerts_open_check",
            "check_name",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_monitoring_alerts_opened", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    check_name: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    opened_at: Mapped[datetime] = created_column()
    resolved_at: Mapped[datetime | None]
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL")
    )
