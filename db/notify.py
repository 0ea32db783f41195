"""Raise a notification (merchant- or ops-facing) from any layer that has a session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification


async def notify(
    session: AsyncSession,
    *,
    level: str,
    kind: str,
    title: str,
    body: str | None = None,
    shop_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    if level not in ("info", "warning", "critical"):
        raise ValueError(f"unknown notification level {level!r}")
    row = Notification(
        level=level, kind=kind, title=title, body=body, shop_id=shop_id, data=data or {}
    )
    session.add(row)
    await session.flush()
    return row
