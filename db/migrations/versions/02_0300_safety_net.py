"""safety net: backups, integrity runs and findings

Revision ID: 0300
Revises: 0001
Create Date: 2026-11-28 17:49:09.785911
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0300'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('backups',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='running', nullable=False),
    sa.Column('storage', sa.String(length=200), nullable=False),
    sa.Column('database', sa.String(length=100), nullable=False),
    sa.Column('server_version', sa.String(length=50), nullable=True),
    sa.Column('file_bytes', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('table_counts', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verify_status', sa.String(length=20), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verify_detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backups')),
    sa.UniqueConstraint('name', name=op.f('uq_backups_name'))
    )
    op.create_index('ix_backups_status_started', 'backups', ['status', 'started_at'], unique=False)
    op.create_table('integrity_runs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('workflow_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='running', nullable=False),
    sa.Column('checks_failed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_runs'))
    )
    op.create_index('ix_integrity_runs_started', 'integrity_runs', ['started_at'], unique=False)
    op.create_table('integrity_findings',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=False),
    sa.Column('check', sa.String(length=50), nullable=False),
    sa.Column('shop_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('faults', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['integrity_runs.id'], name=op.f('fk_integrity_findings_run_id_integrity_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrity_findings'))
    )
    op.create_index('ix_integrity_findings_run', 'integrity_findings', ['run_id', 'check'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_integrity_findings_run', table_name='integrity_findings')
    op.drop_table('integrity_findings')
    op.drop_index('ix_integrity_runs_started', table_name='integrity_runs')
    op.drop_table('integrity_runs')
    op.drop_index('ix_backups_status_started', table_name='backups')
    op.drop_table('backups')
