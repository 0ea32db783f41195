"""One active snapshot run per shop and resource.

Revision ID: 0100
Revises: 0300
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0100"
down_revision: str | None = "0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "uq_snapshot_runs_active",
            "snapshot_runs",
            ["shop_id", "resource"],
            unique=True,
            postgresql_where="status IN ('pending', 'running')",
            postgresql_concurrently=True,
        )
        op.create_index(
            "ix_snapshot_runs_job", "snapshot_runs", ["shop_id", "job_id"], postgresql_concurrently=True
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_snapshot_runs_job", table_name="snapshot_runs", postgresql_concurrently=True)
        op.drop_index("uq_snapshot_runs_active", table_name="snapshot_runs", postgresql_concurrently=True)
