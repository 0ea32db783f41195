"""customer analytics: per-customer metrics, model reports (runs), item rules, run summaries

Revision ID: 0600
Revises: 0400
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0600"
down_revision: str | None = "0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")
EMPTY_OBJECT = sa.text("'{}'::jsonb")
EMPTY_LIST = sa.text("'[]'::jsonb")


def _shop_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["shop_id"], ["shops.id"], name=op.f(f"fk_{table}_shop_id_shops"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "customer_model_reports",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=20), server_default="schedule", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="running", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("observation_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calibration_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("freq", sa.String(length=4), nullable=False),
        sa.Column("holdout_periods", sa.Integer(), nullable=False),
        sa.Column("data_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customers", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("repeat_buyers", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("orders", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("orders_without_customer", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("chosen_model", sa.String(length=40), nullable=True),
        sa.Column(
            "params",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=EMPTY_OBJECT,
            nullable=False,
        ),
        sa.Column(
            "holdout",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=EMPTY_OBJECT,
            nullable=False,
        ),
        sa.Column("holdout_mae", sa.Float(), nullable=True),
        sa.Column("baseline_mae", sa.Float(), nullable=True),
        sa.Column("beats_baseline", sa.Boolean(), nullable=True),
        sa.Column("auc_p_alive", sa.Float(), nullable=True),
        sa.Column("predicted_purchases", sa.Float(), nullable=True),
        sa.Column("actual_purchases", sa.Float(), nullable=True),
        sa.Column("baseline_predicted_purchases", sa.Float(), nullable=True),
        sa.Column(
            "bundles",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=EMPTY_LIST,
            nullable=False,
        ),
        sa.Column("item_rules", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "seconds",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=EMPTY_OBJECT,
            nullable=False,
        ),
        _shop_fk("customer_model_reports"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_model_reports")),
    )
    op.create_index(
        "ix_customer_model_reports_shop_started",
        "customer_model_reports",
        ["shop_id", "started_at"],
        unique=False,
    )
    op.create_index(
        "uq_customer_model_reports_workflow_run",
        "customer_model_reports",
        ["workflow_id", "run_id"],
        unique=True,
    )
    op.create_table(
        "customer_metrics",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_key", sa.String(length=320), nullable=False),
        sa.Column("customer_guid", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Float(), nullable=False),
        sa.Column("recency", sa.Float(), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("monetary_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_purchases_90d", sa.Float(), nullable=True),
        sa.Column("clv_12m", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "clv_at_risk", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
        ),
        sa.Column("next_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("churn_risk", sa.Float(), nullable=True),
        sa.Column("r_score", sa.SmallInteger(), nullable=False),
        sa.Column("f_score", sa.SmallInteger(), nullable=False),
        sa.Column("m_score", sa.SmallInteger(), nullable=False),
        sa.Column("fm_score", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.String(length=30), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        _shop_fk("customer_metrics"),
        sa.PrimaryKeyConstraint("shop_id", "customer_key", name=op.f("pk_customer_metrics")),
    )
    op.create_index(
        "ix_customer_metrics_shop_at_risk",
        "customer_metrics",
        ["shop_id", "clv_at_risk", "customer_key"],
        unique=False,
    )
    op.create_index(
        "ix_customer_metrics_shop_segment_at_risk",
        "customer_metrics",
        ["shop_id", "segment", "clv_at_risk", "customer_key"],
        unique=False,
    )
    op.create_table(
        "customer_item_rules",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("item_code", sa.String(length=100), nullable=False),
        sa.Column("suggestion_code", sa.String(length=100), nullable=False),
        sa.Column("suggestion_name", sa.String(length=300), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        _shop_fk("customer_item_rules"),
        sa.PrimaryKeyConstraint(
            "shop_id", "item_code", "suggestion_code", name=op.f("pk_customer_item_rules")
        ),
    )
    op.create_table(
        "customer_run_summaries",
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_key", sa.String(length=320), nullable=False),
        sa.Column("customer_guid", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Float(), nullable=False),
        sa.Column("recency", sa.Float(), nullable=False),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("monetary_value", sa.Float(), nullable=False),
        sa.Column("total_value", sa.Float(), nullable=False),
        sa.Column("cal_frequency", sa.Float(), nullable=True),
        sa.Column("cal_recency", sa.Float(), nullable=True),
        sa.Column("cal_t", sa.Float(), nullable=True),
        sa.Column("frequency_holdout", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["customer_model_reports.id"],
            name=op.f("fk_customer_run_summaries_report_id_customer_model_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "report_id", "customer_key", name=op.f("pk_customer_run_summaries")
        ),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("customer_run_summaries")
    op.drop_table("customer_item_rules")
    op.drop_index("ix_customer_metrics_shop_segment_at_risk", table_name="customer_metrics")
    op.drop_index("ix_customer_metrics_shop_at_risk", table_name="customer_metrics")
    op.drop_table("customer_metrics")
    op.drop_index("uq_customer_model_reports_workflow_run", table_name="customer_model_reports")
    op.drop_index("ix_customer_model_reports_shop_started", table_name="customer_model_reports")
    op.drop_table("customer_model_reports")
