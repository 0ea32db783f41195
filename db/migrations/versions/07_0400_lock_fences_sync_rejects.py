"""lock fences for Redis locks; documents the incremental sync could not load

Revision ID: 0400
Revises: 0101
Create Date: 2026-11-28 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0400"
down_revision: str | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lock_fences",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fence", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lock_fences")),
    )
    op.create_table(
        "sync_rejects",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("resource", sa.String(length=20), nullable=False),
        sa.Column("entity_key", sa.String(length=100), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_sync_rejects_shop_id_shops"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_rejects")),
    )
    op.create_index("ix_sync_rejects_shop_created", "sync_rejects", ["shop_id", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sync_rejects_shop_created", table_name="sync_rejects")
    op.drop_table("sync_rejects")
    op.drop_table("lock_fences")
