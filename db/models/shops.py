"""Shops (one per Shoptet e-shop) and our addon's installation in each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, created_column, updated_column
from db.secrets import EncryptedText


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    eshop_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), server_default="Europe/Prague")
    # installing | active | suspended | uninstalled
    status: Mapped[str] = mapped_column(String(20), server_default="installing")
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    installation: Mapped[Installation | None] = relationship(back_populates="shop", uselist=False)


class Installation(Base):
    """Our addon's credentials in one shop; every secret is encrypted at rest."""

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    oauth_token: Mapped[str] = mapped_column(EncryptedText)
    webhook_key: Mapped[str | None] = mapped_column(EncryptedText)
    api_token: Mapped[str | None] = mapped_column(EncryptedText)
    api_token_expires_at: Mapped[datetime | None]
    api_token_refreshed_at: Mapped[datetime | None]
    token_refresh_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    scope: Mapped[str] = mapped_column(String(50), server_default="api")
    installed_at: Mapped[datetime] = created_column()
    uninstalled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = updated_column()

    shop: Mapped[Shop] = relationship(back_populates="installation")
