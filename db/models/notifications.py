"""Messages to merchants and ops: failures given up on, alerts, anomalies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column

LEVELS = ("info", "warning", "critical")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_shop_created", "shop_id", "created_at"),
        Index("ix_notifications_kind_created", "kind", "created_at"),
        Index("ix_notifications_kind_key_created", "kind", "dedup_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = created_column()
    read_at: Mapped[datetime | None]
    # repeats of the same kind and key within the de-duplication window count here
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    repeats: Mapped[int] = mapped_column(Integer, server_default="1")
    last_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """Which channels (`in_app`, `email`, `slack`) get a kind (exact, a family `inventory.`
    or `*`) from `min_level` up; the most specific kind a user has a rule for wins."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preferences_user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    min_level: Mapped[str] = mapped_column(String(10))
    channels: Mapped[list[str]] = mapped_column(JSONB)


class NotificationChannel(Base):
    """A user's own delivery addresses beyond their e-mail: the Slack-compatible webhook."""

    __tablename__ = "notification_channels"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    slack_webhook_encrypted: Mapped[str | None] = mapped_column(Text)  # db.secrets


class NotificationDelivery(Base):
    """One notification owed to one user on one channel: the outbox the delivery workflow drains."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_status_user", "status", "user_id", "channel"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # email | slack
    status: Mapped[str] = mapped_column(String(10), server_default="pending")  # sent, digested, failed
    created_at: Mapped[datetime] = created_column()
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
