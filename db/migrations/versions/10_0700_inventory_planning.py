"""inventory planning: stock history, runs, forecasts, variant metrics, recommendations, anomalies

stock_history keys on (shop_id, variant_code, day), so it can be range-partitioned by day later.

Revision ID: 0700
Revises: 0500
Create Date: 2026-11-28 18:39:24.733804
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0700'
down_revision: str | None = '0500'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inventory_anomalies',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('sales', sa.Float(), nullable=True),
    sa.Column('expected', sa.Float(), nullable=True),
    sa.Column('lo', sa.Float(), nullable=True),
    sa.Column('hi', sa.Float(), nullable=True),
    sa.Column('stock_change', sa.Float(), nullable=True),
    sa.Column('unexplained', sa.Float(), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_inventory_anomalies_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_anomalies'))
    )
    op.create_index('ix_inventory_anomalies_shop_id', 'inventory_anomalies', ['shop_id', 'id'], unique=False)
    op.create_index('uq_inventory_anomalies_shop_variant_day_kind', 'inventory_anomalies', ['shop_id', 'variant_code', 'day', 'kind'], unique=True)
    op.create_table('inventory_forecasts',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('mean', sa.Float(), nullable=False),
    sa.Column('lo', sa.Float(), nullable=False),
    sa.Column('hi', sa.Float(), nullable=False),
    sa.Column('naive', sa.Float(), nullable=True),
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_inventory_forecasts_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'variant_code', 'day', name=op.f('pk_inventory_forecasts'))
    )
    op.create_table('inventory_recommendations',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('variant_name', sa.String(length=300), nullable=True),
    sa.Column('supplier_id', sa.BigInteger(), nullable=True),
    sa.Column('supplier_name', sa.String(length=200), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('packs', sa.Integer(), nullable=True),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('purchase_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('order_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('risk_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('expected_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='CZK', nullable=False),
    sa.Column('order_by', sa.Date(), nullable=False),
    sa.Column('lead_time_days', sa.Float(), nullable=True),
    sa.Column('on_hand', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('reorder_point', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_inventory_recommendations_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_recommendations'))
    )
    op.create_index('ix_inventory_recommendations_shop_id', 'inventory_recommendations', ['shop_id', 'id'], unique=False)
    op.create_table('inventory_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('workflow_id', sa.String(length=200), nullable=False),
    sa.Column('run_id', sa.String(length=100), nullable=False),
    sa.Column('trigger', sa.String(length=20), server_default='schedule', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='running', nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('history_from', sa.Date(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), server_default='CZK', nullable=False),
    sa.Column('variants_total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('variants_forecast', sa.Integer(), server_default='0', nullable=False),
    sa.Column('stock_rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('recommendations', sa.Integer(), server_default='0', nullable=False),
    sa.Column('recommended_cost', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('anomalies_new', sa.Integer(), server_default='0', nullable=False),
    sa.Column('notifications', sa.Integer(), server_default='0', nullable=False),
    sa.Column('mase', sa.Float(), nullable=True),
    sa.Column('naive_mase', sa.Float(), nullable=True),
    sa.Column('relative_mase', sa.Float(), nullable=True),
    sa.Column('beats_naive_share', sa.Float(), nullable=True),
    sa.Column('models', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('patterns', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('seconds', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_inventory_runs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_runs'))
    )
    op.create_index('ix_inventory_runs_shop_started', 'inventory_runs', ['shop_id', 'started_at'], unique=False)
    op.create_index('uq_inventory_runs_workflow_run', 'inventory_runs', ['workflow_id', 'run_id'], unique=True)
    op.create_table('inventory_variant_metrics',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.Column('pattern', sa.String(length=20), nullable=True),
    sa.Column('adi', sa.Float(), nullable=True),
    sa.Column('cv2', sa.Float(), nullable=True),
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('season_length', sa.Integer(), nullable=False),
    sa.Column('n_observed', sa.Integer(), nullable=False),
    sa.Column('n_censored', sa.Integer(), nullable=False),
    sa.Column('mase', sa.Float(), nullable=True),
    sa.Column('naive_mase', sa.Float(), nullable=True),
    sa.Column('relative_mae', sa.Float(), nullable=True),
    sa.Column('backtest_mae', sa.Float(), nullable=True),
    sa.Column('naive_mae', sa.Float(), nullable=True),
    sa.Column('backtest_rmse', sa.Float(), nullable=True),
    sa.Column('mean_demand', sa.Float(), nullable=False),
    sa.Column('sd_demand', sa.Float(), nullable=False),
    sa.Column('supplier_id', sa.BigInteger(), nullable=True),
    sa.Column('lead_time_days', sa.Float(), nullable=False),
    sa.Column('lead_time_sd_days', sa.Float(), nullable=False),
    sa.Column('safety_stock', sa.Float(), nullable=False),
    sa.Column('reorder_point', sa.Float(), nullable=False),
    sa.Column('on_hand', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('eoq', sa.Float(), nullable=True),
    sa.Column('order_by', sa.Date(), nullable=True),
    sa.Column('need_quantity', sa.Float(), server_default='0', nullable=False),
    sa.Column('stockout_penalty', sa.Float(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_inventory_variant_metrics_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'variant_code', name=op.f('pk_inventory_variant_metrics'))
    )
    op.create_table('stock_history',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('stock', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_stock_history_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'variant_code', 'day', name=op.f('pk_stock_history'))
    )


def downgrade() -> None:
    op.drop_table('stock_history')
    op.drop_table('inventory_variant_metrics')
    op.drop_index('uq_inventory_runs_workflow_run', table_name='inventory_runs')
    op.drop_index('ix_inventory_runs_shop_started', table_name='inventory_runs')
    op.drop_table('inventory_runs')
    op.drop_index('ix_inventory_recommendations_shop_id', table_name='inventory_recommendations')
    op.drop_table('inventory_recommendations')
    op.drop_table('inventory_forecasts')
    op.drop_index('uq_inventory_anomalies_shop_variant_day_kind', table_name='inventory_anomalies')
    op.drop_index('ix_inventory_anomalies_shop_id', table_name='inventory_anomalies')
    op.drop_table('inventory_anomalies')
