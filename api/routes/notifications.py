"""Notifications for the caller's shops (and app-wide ones for admins)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, or_, select, true, update

from api.common.params import BigIntId, ShortText
from api.deps import CurrentCaller, SessionDep
from api.pagination import Page, page_by_id
from api.problems import Problem
from db.models import Notification

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    shop_id: int | None
    level: str
    kind: str
    title: str
    body: str | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


def _visible(caller: CurrentCaller) -> ColumnElement[bool]:
    allowed = caller.shop_filter()
    if allowed is None:
        return true()
    return Notification.shop_id.in_(allowed)


@router.get("")
async def list_notifications(
    caller: CurrentCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    unread: bool = False,
    level: ShortText | None = None,
) -> Page[NotificationOut]:
    query = select(Notification).where(_visible(caller))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if level:
        query = query.where(Notification.level == level)
    return await page_by_id(
        session,
        query,
        Notification.id,
        cursor,
        limit,
        lambda r: NotificationOut.model_validate(r, from_attributes=True),
    )


@router.post("/{notification_id}/read", status_code=204)
async def mark_read(notification_id: BigIntId, caller: CurrentCaller, session: SessionDep) -> None:
    marked = await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, _visible(caller))
        .values(read_at=datetime.now(UTC))
        .returning(Notification.id)
    )
    if marked.first() is None:
        raise Problem(404, "Notification not found", f"No notification {notification_id}.")
    await session.commit()


@router.post("/read-all", status_code=204)
async def mark_all_read(caller: CurrentCaller, session: SessionDep) -> None:
    await session.execute(
        update(Notification)
        .where(_visible(caller), or_(Notification.read_at.is_(None)))
        .values(read_at=datetime.now(UTC))
    )
    await session.commit()
