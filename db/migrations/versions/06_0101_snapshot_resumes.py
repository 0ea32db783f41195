"""Record where retried ingest chunks resumed, so a resume is visible, not assumed.

Revision ID: 0101
Revises: 0201
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101"
down_revision: str | None = "0201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("snapshot_runs", sa.Column("resume_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("snapshot_runs", sa.Column("resumed_from_line", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("snapshot_runs", "resumed_from_line")
    op.drop_column("snapshot_runs", "resume_count")
