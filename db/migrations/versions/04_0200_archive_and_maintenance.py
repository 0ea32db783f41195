"""archive tables, history views, maintenance bookkeeping

Archive twins have the hot tables' exact shape (and no default partition), so retention
attaches a detached hot quarter as-is. `orders_all` / `order_items_all` read both;
`maintenance_last_run` shows the newest run of each maintenance kind.

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-28 17:54:26.774722
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.models.maintenance import HOT_TABLES, history_view_name, history_view_sql

revision: str = '0200'
down_revision: str | None = '0100'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


LAST_RUN_VIEW = (
    "CREATE OR REPLACE VIEW maintenance_last_run AS "
    "SELECT DISTINCT ON (kind) * FROM maintenance_runs ORDER BY kind, started_at DESC, id DESC"
)


def upgrade() -> None:
    # pg_trgm is a trusted extension: the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('archive_holds',
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('quarter', name=op.f('pk_archive_holds'))
    )
    op.create_table('legacy_migration_changes',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('legacy_id', sa.BigInteger(), nullable=False),
    sa.Column('old_row', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('logged_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legacy_migration_changes'))
    )
    op.create_index('ix_legacy_migration_changes_table_id', 'legacy_migration_changes', ['table_name', 'id'], unique=False)
    op.create_table('legacy_migrations',
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('key_column', sa.String(length=63), nullable=False),
    sa.Column('phase', sa.String(length=20), server_default='prepared', nullable=False),
    sa.Column('high_water', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('last_key', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('legacy_rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('copied_rows', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('replayed_change_id', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('changes_replayed', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('verification', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('swapped_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_legacy_migrations'))
    )
    op.create_table('maintenance_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('workflow_id', sa.String(length=200), nullable=False),
    sa.Column('run_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='running', nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('actions', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_runs'))
    )
    op.create_index('ix_maintenance_runs_kind_started', 'maintenance_runs', ['kind', 'started_at'], unique=False)
    op.create_index('uq_maintenance_runs_workflow_run', 'maintenance_runs', ['workflow_id', 'run_id'], unique=True)
    op.create_table('order_items_archive',
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
    sa.PrimaryKeyConstraint('shop_id', 'order_code', 'item_id', 'created_at', name=op.f('pk_order_items_archive')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index(op.f('ix_order_items_archive_shop_code'), 'order_items_archive', ['shop_id', 'code', 'created_at'], unique=False)
    op.create_table('orders_archive',
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
    sa.PrimaryKeyConstraint('shop_id', 'code', 'created_at', name=op.f('pk_orders_archive')),
    postgresql_partition_by='RANGE (created_at)'
    )
    op.create_index(op.f('ix_orders_archive_search_trgm'), 'orders_archive', ['code', 'email', 'billing_name'], unique=False, postgresql_using='gin', postgresql_ops={'code': 'gin_trgm_ops', 'email': 'gin_trgm_ops', 'billing_name': 'gin_trgm_ops'})
    op.create_index(op.f('ix_orders_archive_shop_changed'), 'orders_archive', ['shop_id', 'changed_at'], unique=False)
    op.create_index(op.f('ix_orders_archive_shop_created'), 'orders_archive', ['shop_id', 'created_at', 'code'], unique=False)
    op.create_index(op.f('ix_orders_archive_shop_customer'), 'orders_archive', ['shop_id', 'customer_guid'], unique=False)
    op.create_index(op.f('ix_orders_archive_shop_email'), 'orders_archive', ['shop_id', 'email'], unique=False)
    op.create_index(op.f('ix_orders_archive_shop_status_created'), 'orders_archive', ['shop_id', 'status_id', 'created_at'], unique=False)
    op.create_table('partition_moves',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('maintenance_run_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('source', sa.String(length=63), nullable=False),
    sa.Column('target', sa.String(length=63), nullable=False),
    sa.Column('rows_before', sa.BigInteger(), nullable=False),
    sa.Column('sum_before', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('rows_after', sa.BigInteger(), nullable=False),
    sa.Column('sum_after', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('moved_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['maintenance_run_id'], ['maintenance_runs.id'], name=op.f('fk_partition_moves_maintenance_run_id_maintenance_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partition_moves'))
    )
    op.create_index('ix_partition_moves_table_quarter', 'partition_moves', ['table_name', 'quarter'], unique=False)
    for table in HOT_TABLES:
        op.execute(history_view_sql(table))
    op.execute(LAST_RUN_VIEW)


def downgrade() -> None:
    held = op.get_bind().execute(sa.text(
        "SELECT string_agg(c.relname, ', ') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent IN ('orders_archive'::regclass, 'order_items_archive'::regclass)"
    )).scalar()
    if held:
        raise RuntimeError(
            f"the archive still holds {held}; restore those quarters "
            "(shopops maintenance archive restore <quarter>) before downgrading below 0200"
        )
    op.execute("DROP VIEW IF EXISTS maintenance_last_run")
    for table in HOT_TABLES:
        op.execute(f"DROP VIEW IF EXISTS {history_view_name(table)}")
    op.drop_index('ix_partition_moves_table_quarter', table_name='partition_moves')
    op.drop_table('partition_moves')
    op.drop_index(op.f('ix_orders_archive_shop_status_created'), table_name='orders_archive')
    op.drop_index(op.f('ix_orders_archive_shop_email'), table_name='orders_archive')
    op.drop_index(op.f('ix_orders_archive_shop_customer'), table_name='orders_archive')
    op.drop_index(op.f('ix_orders_archive_shop_created'), table_name='orders_archive')
    op.drop_index(op.f('ix_orders_archive_shop_changed'), table_name='orders_archive')
    op.drop_index(op.f('ix_orders_archive_search_trgm'), table_name='orders_archive', postgresql_using='gin', postgresql_ops={'code': 'gin_trgm_ops', 'email': 'gin_trgm_ops', 'billing_name': 'gin_trgm_ops'})
    op.drop_table('orders_archive')
    op.drop_index(op.f('ix_order_items_archive_shop_code'), table_name='order_items_archive')
    op.drop_table('order_items_archive')
    op.drop_index('uq_maintenance_runs_workflow_run', table_name='maintenance_runs')
    op.drop_index('ix_maintenance_runs_kind_started', table_name='maintenance_runs')
    op.drop_table('maintenance_runs')
    op.drop_table('legacy_migrations')
    op.drop_index('ix_legacy_migration_changes_table_id', table_name='legacy_migration_changes')
    op.drop_table('legacy_migration_changes')
    op.drop_table('archive_holds')
