"""People who use shopops, what they may see (memberships), and how they sign in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2
    # admin sees every shop and the admin pages; member sees its memberships
    role: Mapped[str] = mapped_column(String(20), server_default="member")
    locale: Mapped[str] = mapped_column(String(10), server_default="cs")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = created_column()


class ShopMembership(Base):
    __tablename__ = "shop_memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # viewer reads; manager also starts jobs and edits shop settings
    role: Mapped[str] = mapped_column(String(20), server_default="manager")
    created_at: Mapped[datetime] = created_column()


class UserSession(Base):
    """A signed-in browser; the cookie holds a random token, the row only its hash."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for scripts; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # kept after revocation so the list and the audit log still name the token
    revoked_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what security-relevant thing, when and from where: sign-ins (success and
    failure), token creation and revocation, password changes and every admin action.

    `actor_email` is what was typed at sign-in (the user may not exist), so failed attempts on
    unknown accounts are visible too; rows are never updated.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = created_column()
    action: Mapped[str] = mapped_column(String(60))  # signin.success, token.create, admin.request …
    success: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str | None] = mapped_column(String(320))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, object]] = mapped_column(JSONB, server_default="{}")
