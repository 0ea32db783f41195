"""security: an audit log of sign-ins, token and admin actions; revocable API tokens

`audit_events` is append-only and read newest first (by id), filtered by action or user, so
its two indexes lead with those columns and end with id for the keyset. `api_tokens.revoked_at`
keeps a revoked token listed (and named in the audit log) instead of deleting its row.

Revision ID: 0930
Revises: 0920
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0930"
down_revision: str | None = "0920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"])
    op.create_index("ix_audit_events_user_id_id", "audit_events", ["user_id", "id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_column("api_tokens", "revoked_at")
