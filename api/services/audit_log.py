"""The audit log: one append-only row per sign-in attempt, token change, password change and
admin action; admins read it newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from api.pagination import Page, page_by_id
from db.engine import session_factory
from db.models import AuditEvent


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    action: str
    success: bool
    user_id: int | None
    actor_email: str | None
    ip: str | None
    detail: dict[str, Any]


def client_ip(request: Request) -> str | None:
    """The peer address (uvicorn's --proxy-headers puts the client's there behind a proxy)."""
    return request.client.host if request.client else None


async def record(
    action: str,
    *,
    success: bool,
    user_id: int | None = None,
    email: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
    session: AsyncSession | None = None,
) -> None:
    """Append a row; in `session` (committed by its owner) or in a session of its own."""
    row = AuditEvent(
        action=action,
        success=success,
        user_id=user_id,
        actor_email=email[:320] if email else None,
        ip=ip,
        detail=detail or {},
    )
    if session is not None:
        session.add(row)
        return
    async with session_factory()() as own:
        own.add(row)
        await own.commit()


async def page(
    session: AsyncSession,
    *,
    action: str | None,
    user_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[AuditEventOut]:
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    return await page_by_id(
        session, query, AuditEvent.id, cursor, limit, AuditEventOut.model_validate
    )
