"""Personal API tokens: create (shown once), list, revoke one, revoke all of a user's.

The API and the `shopops token` CLI share these; `revoke_all` is a statement so the sync CLI
(`users create` resetting a password) and the async API run the same one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.security import new_token, token_hash
from db.models import ApiToken

TokenState = Literal["active", "expired", "revoked"]


class TokenInfo(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    state: TokenState


def state_of(row: ApiToken, now: datetime) -> TokenState:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def info(row: ApiToken, now: datetime) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        state=state_of(row, now),
    )


async def create(
    session: AsyncSession, user_id: int, name: str, days: int | None, now: datetime
) -> tuple[ApiToken, str]:
    """A new token row (flushed, not committed) and the token itself, which is never stored."""
    token = new_token()
    row = ApiToken(
        user_id=user_id,
        name=name,
        token_hash=token_hash(token),
        expires_at=now + timedelta(days=days) if days else None,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row, token


async def of_user(session: AsyncSession, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first (a person has a handful, so no pagination)."""
    rows = await session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    )
    return list(rows.scalars())


async def revoke(
    session: AsyncSession, token_id: int, now: datetime, user_id: int | None = None
) -> ApiToken | None:
    """Revoke one token (of `user_id` when given); None when there is no such token.
    Revoking a revoked token keeps its first revocation time."""
    query = select(ApiToken).where(ApiToken.id == token_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    row = (await session.execute(query)).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    return row


def revoke_all(user_id: int, now: datetime) -> Update:
    """Revoke every live token of a user (after a password change)."""
    return (
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
