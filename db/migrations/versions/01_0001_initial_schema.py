"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 17:41:39.798942
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.partitions import (
    PARTITIONED_TABLES,
    Quarter,
    create_default_partition_sql,
    create_partition_sql,
    quarters_between,
)
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Quarters made at install time; PartitionMaintenanceWorkflow keeps future ones premade.
FIRST_QUARTER = Quarter(2019, 1)
FUTURE_QUARTERS = 4


def _create_partitions() -> None:
    from datetime import UTC, datetime

    last = Quarter.of(datetime.now(UTC)).add(FUTURE_QUARTERS)
    for table in PARTITIONED_TABLES:
        op.execute(create_default_partition_sql(table))
        for quarter in quarters_between(FIRST_QUARTER, last):
            op.execute(create_partition_sql(table, quarter))


def upgrade() -> None:
    op.create_table('order_items',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('order_code', sa.String(length=50), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('item_type', sa.String(length=30), nullable=False),
    sa.Column('product_guid', sa.Uuid(), nullable=True),
    sa.Column('code', sa.String(length=100), nullable=True),
    sa.Column('ean', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('variant_name', sa.String(length=300), nullable=True),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('amount_unit', sa.String(length=20), nullable=True),
    sa.Column('unit_price_with_vat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('price_with_vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('price_without_vat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('purchase_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('supplier_name', sa.String(length=200), nullable=True),
    sa.Column('status_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('shop_id', 'order_code', 'item_id', 'created_at', name=op.f('pk_order_items')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index('ix_order_items_shop_code', 'order_items', ['shop_id', 'code', 'created_at'], unique=False)
    op.create_table('orders',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_id', sa.Integer(), nullable=True),
    sa.Column('status_name', sa.String(length=100), nullable=True),
    sa.Column('cancelled', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=True),
    sa.Column('source_name', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('customer_guid', sa.Uuid(), nullable=True),
    sa.Column('billing_name', sa.String(length=200), nullable=True),
    sa.Column('billing_company', sa.String(length=200), nullable=True),
    sa.Column('billing_city', sa.String(length=100), nullable=True),
    sa.Column('billing_zip', sa.String(length=20), nullable=True),
    sa.Column('billing_country', sa.String(length=2), nullable=True),
    sa.Column('delivery_address', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('shipping_name', sa.String(length=200), nullable=True),
    sa.Column('payment_name', sa.String(length=200), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='CZK', nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=16, scale=8), nullable=True),
    sa.Column('total_with_vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_without_vat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('total_vat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('to_pay', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('item_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('shop_id', 'code', 'created_at', name=op.f('pk_orders')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index('ix_orders_shop_changed', 'orders', ['shop_id', 'changed_at'], unique=False)
    op.create_index('ix_orders_shop_created', 'orders', ['shop_id', 'created_at', 'code'], unique=False)
    op.create_index('ix_orders_shop_customer', 'orders', ['shop_id', 'customer_guid'], unique=False)
    op.create_index('ix_orders_shop_email', 'orders', ['shop_id', 'email'], unique=False)
    op.create_index('ix_orders_shop_status_created', 'orders', ['shop_id', 'status_id', 'created_at'], unique=False)
    op.create_table('product_translations',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('product_guid', sa.Uuid(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('shop_id', 'product_guid', 'locale', name=op.f('pk_product_translations'))
    )
    op.create_table('shops',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('eshop_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('timezone', sa.String(length=64), server_default='Europe/Prague', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='installing', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('eshop_id', name=op.f('uq_shops_eshop_id'))
    )
    op.create_table('stock_levels',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('stock_id', sa.Integer(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('claim', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('location', sa.String(length=100), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('shop_id', 'stock_id', 'variant_code', name=op.f('pk_stock_levels'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), server_default='member', nullable=False),
    sa.Column('locale', sa.String(length=10), server_default='cs', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.create_table('app_settings',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=True),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_app_settings_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_app_settings_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_settings'))
    )
    op.create_index('uq_app_settings_key_shop', 'app_settings', ['key', 'shop_id'], unique=True, postgresql_nulls_not_distinct=True)
    op.create_table('customers',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('zip', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('customer_group', sa.String(length=100), nullable=True),
    sa.Column('disabled_orders', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_customers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'guid', name=op.f('pk_customers'))
    )
    op.create_index('ix_customers_shop_changed', 'customers', ['shop_id', 'changed_at'], unique=False)
    op.create_index('ix_customers_shop_email', 'customers', ['shop_id', 'email'], unique=False)
    op.create_table('installations',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('oauth_token', sa.Text(), nullable=False),
    sa.Column('webhook_key', sa.Text(), nullable=True),
    sa.Column('api_token', sa.Text(), nullable=True),
    sa.Column('api_token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('api_token_refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_refresh_count', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('scope', sa.String(length=50), server_default='api', nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('uninstalled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_installations_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installations')),
    sa.UniqueConstraint('shop_id', name=op.f('uq_installations_shop_id'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_notifications_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_kind_created', 'notifications', ['kind', 'created_at'], unique=False)
    op.create_index('ix_notifications_shop_created', 'notifications', ['shop_id', 'created_at'], unique=False)
    op.create_table('products',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=True),
    sa.Column('visibility', sa.String(length=30), nullable=True),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('default_category', sa.String(length=300), nullable=True),
    sa.Column('supplier_guid', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_products_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'guid', name=op.f('pk_products'))
    )
    op.create_index('ix_products_shop_changed', 'products', ['shop_id', 'changed_at'], unique=False)
    op.create_index('ix_products_shop_visibility', 'products', ['shop_id', 'visibility'], unique=False)
    op.create_table('shop_memberships',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=20), server_default='manager', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_memberships_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shop_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'shop_id', name=op.f('pk_shop_memberships'))
    )
    op.create_index(op.f('ix_shop_memberships_shop_id'), 'shop_memberships', ['shop_id'], unique=False)
    op.create_table('snapshot_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('resource', sa.String(length=20), nullable=False),
    sa.Column('workflow_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=30), server_default='pending', nullable=False),
    sa.Column('phase', sa.String(length=30), server_default='requested', nullable=False),
    sa.Column('trigger', sa.String(length=30), server_default='api', nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('job_id', sa.String(length=50), nullable=True),
    sa.Column('file_path', sa.Text(), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('file_bytes', sa.BigInteger(), nullable=True),
    sa.Column('total_lines', sa.BigInteger(), nullable=True),
    sa.Column('processed_lines', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rows_upserted', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rejected_lines', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('rate_lines_per_s', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('eta_seconds', sa.Numeric(precision=14, scale=1), nullable=True),
    sa.Column('attempt', sa.Integer(), server_default='1', nullable=False),
    sa.Column('retry_of', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['retry_of'], ['snapshot_runs.id'], name=op.f('fk_snapshot_runs_retry_of_snapshot_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_snapshot_runs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot_runs')),
    sa.UniqueConstraint('workflow_id', name=op.f('uq_snapshot_runs_workflow_id'))
    )
    op.create_index('ix_snapshot_runs_shop_requested', 'snapshot_runs', ['shop_id', 'requested_at'], unique=False)
    op.create_index('ix_snapshot_runs_status', 'snapshot_runs', ['status', 'requested_at'], unique=False)
    op.create_table('stocks',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('stock_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default='false', nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_stocks_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'stock_id', name=op.f('pk_stocks'))
    )
    op.create_table('suppliers',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('guid', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='CZK', nullable=False),
    sa.Column('lead_time_days', sa.Numeric(precision=8, scale=2), server_default='7', nullable=False),
    sa.Column('lead_time_sd_days', sa.Numeric(precision=8, scale=2), server_default='2', nullable=False),
    sa.Column('order_cost', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_suppliers_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers'))
    )
    op.create_index('uq_suppliers_shop_name', 'suppliers', ['shop_id', 'name'], unique=True)
    op.create_table('sync_cursors',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('resource', sa.String(length=20), nullable=False),
    sa.Column('changed_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_reconciled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=2000), nullable=True),
    sa.Column('items_synced', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sync_cursors_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'resource', name=op.f('pk_sync_cursors'))
    )
    op.create_table('user_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_user_sessions'))
    )
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)
    op.create_table('variants',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('product_guid', sa.Uuid(), nullable=False),
    sa.Column('ean', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('price_with_vat', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('purchase_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='CZK', nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('stock_total', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('availability', sa.String(length=100), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_variants_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'code', name=op.f('pk_variants'))
    )
    op.create_index('ix_variants_shop_product', 'variants', ['shop_id', 'product_guid'], unique=False)
    op.create_table('webhook_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=True),
    sa.Column('eshop_id', sa.BigInteger(), nullable=True),
    sa.Column('event', sa.String(length=100), nullable=True),
    sa.Column('event_instance', sa.Text(), nullable=True),
    sa.Column('event_created', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw_body', sa.LargeBinary(), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_webhook_events_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_events'))
    )
    op.create_index('ix_webhook_events_shop_received', 'webhook_events', ['shop_id', 'received_at'], unique=False)
    op.create_index('uq_webhook_events_delivery', 'webhook_events', ['eshop_id', 'event', 'event_instance', 'event_created'], unique=True, postgresql_where=sa.text("status IN ('received', 'dispatched', 'failed')"))
    op.create_table('snapshot_rejects',
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.Column('line_no', sa.BigInteger(), nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['snapshot_runs.id'], name=op.f('fk_snapshot_rejects_run_id_snapshot_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'line_no', name=op.f('pk_snapshot_rejects'))
    )
    op.create_table('supplier_offers',
    sa.Column('shop_id', sa.BigInteger(), nullable=False),
    sa.Column('supplier_id', sa.BigInteger(), nullable=False),
    sa.Column('variant_code', sa.String(length=100), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('moq', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('pack_size', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('price_breaks', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_offers_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('supplier_id', 'variant_code', name=op.f('pk_supplier_offers'))
    )
    _create_partitions()


def downgrade() -> None:
    op.drop_table('supplier_offers')
    op.drop_table('snapshot_rejects')
    op.drop_index('uq_webhook_events_delivery', table_name='webhook_events', postgresql_where=sa.text("status IN ('received', 'dispatched', 'failed')"))
    op.drop_index('ix_webhook_events_shop_received', table_name='webhook_events')
    op.drop_table('webhook_events')
    op.drop_index('ix_variants_shop_product', table_name='variants')
    op.drop_table('variants')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
    op.drop_table('sync_cursors')
    op.drop_index('uq_suppliers_shop_name', table_name='suppliers')
    op.drop_table('suppliers')
    op.drop_table('stocks')
    op.drop_index('ix_snapshot_runs_status', table_name='snapshot_runs')
    op.drop_index('ix_snapshot_runs_shop_requested', table_name='snapshot_runs')
    op.drop_table('snapshot_runs')
    op.drop_index(op.f('ix_shop_memberships_shop_id'), table_name='shop_memberships')
    op.drop_table('shop_memberships')
    op.drop_index('ix_products_shop_visibility', table_name='products')
    op.drop_index('ix_products_shop_changed', table_name='products')
    op.drop_table('products')
    op.drop_index('ix_notifications_shop_created', table_name='notifications')
    op.drop_index('ix_notifications_kind_created', table_name='notifications')
    op.drop_table('notifications')
    op.drop_table('installations')
    op.drop_index('ix_customers_shop_email', table_name='customers')
    op.drop_index('ix_customers_shop_changed', table_name='customers')
    op.drop_table('customers')
    op.drop_index('uq_app_settings_key_shop', table_name='app_settings', postgresql_nulls_not_distinct=True)
    op.drop_table('app_settings')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('stock_levels')
    op.drop_table('shops')
    op.drop_table('product_translations')
    op.drop_index('ix_orders_shop_status_created', table_name='orders')
    op.drop_index('ix_orders_shop_email', table_name='orders')
    op.drop_index('ix_orders_shop_customer', table_name='orders')
    op.drop_index('ix_orders_shop_created', table_name='orders')
    op.drop_index('ix_orders_shop_changed', table_name='orders')
    op.drop_table('orders')
    op.drop_index('ix_order_items_shop_code', table_name='order_items')
    op.drop_table('order_items')
