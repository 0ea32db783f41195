"""Creating snapshot runs: one active run per shop and resource, enforced by the database.

A partial unique index on (shop_id, resource) for pending/running rows makes a double click,
two schedules or a webhook storm yield exactly one run; the loser gets the active run's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SnapshotRun

ACTIVE = ("pending", "running")


class RunAlreadyActive(Exception):
    def __init__(self, run: SnapshotRun) -> None:
        super().__init__(f"snapshot run {run.id} for {run.resource} is still {run.status}")
        self.run = run


def workflow_id_for(shop_id: int, resource: str, requested_at: datetime) -> str:
    stamp = requested_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"snapshot:{shop_id}:{resource}:{stamp}"


async def active_run(session: AsyncSession, shop_id: int, resource: str) -> SnapshotRun | None:
    return (
        await session.execute(
            select(SnapshotRun).where(
                SnapshotRun.shop_id == shop_id,
                SnapshotRun.resource == resource,
                SnapshotRun.status.in_(ACTIVE),
            )
        )
    ).scalar_one_or_none()


async def create_run(
    session: AsyncSession,
    shop_id: int,
    resource: str,
    *,
    trigger: str,
    params: dict[str, Any] | None = None,
    retry_of: SnapshotRun | None = None,
) -> SnapshotRun:
    """Insert a pending run and commit it, or raise RunAlreadyActive with the run in the way."""
    # read before the commit: a rollback expires every loaded object, and an expired attribute
    # would be loaded lazily, which async SQLAlchemy refuses (MissingGreenlet)
    retry_id, attempt = (retry_of.id, retry_of.attempt + 1) if retry_of else (None, 1)
    for _ in range(3):  # the run in the way may finish in between: look again, a few times
        requested_at = datetime.now(UTC)
        run = SnapshotRun(
            shop_id=shop_id,
            resource=resource,
            workflow_id=workflow_id_for(shop_id, resource, requested_at),
            status="pending",
            trigger=trigger,
            params=params or {},
            requested_at=requested_at,
            retry_of=retry_id,
            attempt=attempt,
        )
        session.add(run)
        try:
            await session.commit()
            return run
        except IntegrityError:
            await session.rollback()
            existing = await active_run(session, shop_id, resource)
            if existing is not None:
                raise RunAlreadyActive(existing) from None
    raise RunAlreadyActive(run)
