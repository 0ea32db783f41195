"""E-mails the API asks to send (a purchase order to its supplier): an outbox a workflow sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column


class OutgoingMail(Base):
    __tablename__ = "outgoing_mails"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(30))  # purchase_order, ...
    ref_id: Mapped[int | None] = mapped_column(BigInteger)  # the purchase order's id
    to_addrs: Mapped[list[str]] = mapped_column(JSONB)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), server_default="pending")  # sent, failed
    created_at: Mapped[datetime] = created_column()
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class OutgoingMailAttachment(Base):
    __tablename__ = "outgoing_mail_attachments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    mail_id: Mapped[int] = mapped_column(
        ForeignKey("outgoing_mails.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
