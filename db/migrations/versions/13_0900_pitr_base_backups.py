"""PITR base backups: the record the daily maint:pitr-base run prunes and monitoring reads

Revision ID: 0900
Revises: 0800
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0900"
down_revision: str | None = "0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pitr_base_backups",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="completed", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("server_major", sa.BigInteger(), nullable=False),
        sa.Column("start_wal", sa.String(length=24), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pitr_base_backups")),
        sa.UniqueConstraint("label", name=op.f("uq_pitr_base_backups_label")),
    )


def downgrade() -> None:
    op.drop_table("pitr_base_backups")
