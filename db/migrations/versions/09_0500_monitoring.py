"""monitoring: statement and size snapshots, latency minutes, errors, check states, alerts

Revision ID: 0500
Revises: 0600
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0500"
down_revision: str | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_statements",
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queryid", sa.BigInteger(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("captured_at", "queryid", name=op.f("pk_monitoring_statements")),
    )
    op.create_index("ix_monitoring_statements_queryid", "monitoring_statements", ["queryid", "captured_at"])
    op.create_table(
        "monitoring_statement_totals",
        sa.Column("queryid", sa.BigInteger(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("queryid", name=op.f("pk_monitoring_statement_totals")),
    )
    op.create_table(
        "monitoring_table_sizes",
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table_name", sa.String(length=200), nullable=False),
        sa.Column("parent", sa.String(length=200), nullable=True),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("captured_at", "table_name", name=op.f("pk_monitoring_table_sizes")),
    )
    op.create_table(
        "monitoring_latency_minutes",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("sum_ms", sa.Float(), nullable=False),
        sa.Column("max_ms", sa.Float(), nullable=False),
        sa.Column("buckets", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.PrimaryKeyConstraint("minute", "kind", "name", name=op.f("pk_monitoring_latency_minutes")),
    )
    op.create_table(
        "monitoring_errors",
        sa.Column("fingerprint", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("error_type", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("frames", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_trace_id", sa.String(length=32), nullable=True),
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_monitoring_errors")),
    )
    op.create_index("ix_monitoring_errors_last_seen", "monitoring_errors", ["last_seen"])
    op.create_table(
        "monitoring_error_minutes",
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("minute", "fingerprint", name=op.f("pk_monitoring_error_minutes")),
    )
    op.create_table(
        "monitoring_check_states",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("part", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_monitoring_check_states")),
    )
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("check_name", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notification_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notifications.id"],
            name=op.f("fk_monitoring_alerts_notification_id_notifications"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
    )
    op.create_index("ix_monitoring_alerts_opened", "monitoring_alerts", ["opened_at"])
    op.create_index(
        "uq_monitoring_alerts_open_check", "monitoring_alerts", ["check_name"], unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_monitoring_alerts_open_check", table_name="monitoring_alerts")
    op.drop_index("ix_monitoring_alerts_opened", table_name="monitoring_alerts")
    op.drop_table("monitoring_alerts")
    op.drop_table("monitoring_check_states")
    op.drop_table("monitoring_error_minutes")
    op.drop_index("ix_monitoring_errors_last_seen", table_name="monitoring_errors")
    op.drop_table("monitoring_errors")
    op.drop_table("monitoring_latency_minutes")
    op.drop_table("monitoring_table_sizes")
    op.drop_table("monitoring_statement_totals")
    op.drop_index("ix_monitoring_statements_queryid", table_name="monitoring_statements")
    op.drop_table("monitoring_statements")
