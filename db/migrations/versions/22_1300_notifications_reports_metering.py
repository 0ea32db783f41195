"""notifications delivered by e-mail and Slack, weekly reports, a meter and a budget on paid calls

`notifications` learn to count repeats (`dedup_key`, `repeats`, `last_at`); each user's
preferences say which channel gets which kind and level (`notification_preferences`, the
Slack webhook encrypted in `notification_channels`); `notification_deliveries` is the outbox
the delivery workflow drains (and digests). `outgoing_mails` (+ attachments) is the outbox of
e-mails the API asks for (a purchase order to its supplier). `reports` stores each weekly sales
report as data and as HTML and PDF in both languages. `usage_daily` keeps what each shop used
and was refused per metered kind and day; `usage_budgets` the admin's daily limits.

Revision ID: 1300
Revises: 1200
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1300"
down_revision: str | None = "1200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.add_column("notifications", sa.Column("dedup_key", sa.String(200), nullable=True))
    op.add_column(
        "notifications", sa.Column("repeats", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("notifications", sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_notifications_kind_key_created", "notifications", ["kind", "dedup_key", "created_at"]
    )
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("min_level", sa.String(10), nullable=False),
        sa.Column("channels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_preferences_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_preferences"),
        sa.UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_id"),
    )
    op.create_table(
        "notification_channels",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("slack_webhook_encrypted", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_channels_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_notification_channels"),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        _created(),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notifications.id"],
            name="fk_notification_deliveries_notification_id_notifications", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_deliveries_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_deliveries"),
    )
    op.create_index(
        "ix_notification_deliveries_status_user",
        "notification_deliveries",
        ["status", "user_id", "channel"],
    )
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=True),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=True),
        sa.Column("to_addrs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        _created(),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name="fk_outgoing_mails_shop_id_shops", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outgoing_mails"),
    )
    op.create_table(
        "outgoing_mail_attachments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("mail_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"], ["outgoing_mails.id"],
            name="fk_outgoing_mail_attachments_mail_id_outgoing_mails", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outgoing_mail_attachments"),
    )
    op.create_index(
        "ix_outgoing_mail_attachments_mail_id", "outgoing_mail_attachments", ["mail_id"]
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("summary_cs", sa.Text(), nullable=True),
        sa.Column("html_en", sa.Text(), nullable=True),
        sa.Column("html_cs", sa.Text(), nullable=True),
        sa.Column("pdf_en", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_cs", sa.LargeBinary(), nullable=True),
        sa.Column("emailed_to", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name="fk_reports_shop_id_shops", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
        sa.UniqueConstraint("shop_id", "kind", "period_start", name="uq_reports_shop_id"),
    )
    op.create_table(
        "usage_daily",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refused", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "kind", "day", name="pk_usage_daily"),
    )
    op.create_table(
        "usage_budgets",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("daily_limit", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name="fk_usage_budgets_shop_id_shops", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", "kind", name="pk_usage_budgets"),
    )


def downgrade() -> None:
    op.drop_table("usage_budgets")
    op.drop_table("usage_daily")
    op.drop_table("reports")
    op.drop_index("ix_outgoing_mail_attachments_mail_id", table_name="outgoing_mail_attachments")
    op.drop_table("outgoing_mail_attachments")
    op.drop_table("outgoing_mails")
    op.drop_index("ix_notification_deliveries_status_user", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_table("notification_channels")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_kind_key_created", table_name="notifications")
    op.drop_column("notifications", "last_at")
    op.drop_column("notifications", "repeats")
    op.drop_column("notifications", "dedup_key")
