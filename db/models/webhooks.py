"""Every webhook we receive, stored raw before we answer, with how it was handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column

# received | dispatched | duplicate | rejected | failed
WEBHOOK_STATUSES = ("received", "dispatched", "duplicate", "rejected", "failed")


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        # Shoptet sends no delivery id: a notification is (eshopId, event, instance, created).
        Index(
            "uq_webhook_events_delivery",
            "eshop_id",
            "event",
            "event_instance",
            "event_created",
            unique=True,
            postgresql_where=text("status IN ('received', 'dispatched', 'failed')"),
        ),
        Index("ix_webhook_events_shop_received", "shop_id", "received_at"),
        # the outbox: stored, not yet dispatched (Temporal was down); the sweep reads it by id
        Index("ix_webhook_events_outbox", "id", postgresql_where=text("status = 'received'")),
        CheckConstraint(
            "event_created IS NULL OR (event_created >= '1900-01-01' AND event_created < '3000-01-01')",
            name="ck_webhook_events_created_sane",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    eshop_id: Mapped[int | None] = mapped_column(BigInteger)
    event: Mapped[str | None] = mapped_column(String(100))
    event_instance: Mapped[str | None] = mapped_column(Text)
    event_created: Mapped[datetime | None]
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = created_column()
    dispatched_at: Mapped[datetime | None]
