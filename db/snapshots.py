"""Creating snapshot runs: one active run per shop and resource, enforced by the database.

A partial unique index on (shop_id, resource) for pending/running rows makes a double click,
two schedules or a webhook storm yield exactly one run; the loser gets the active run's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
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
    retry_of: tuple[int, int] | None = None,
) -> SnapshotRun:
    """Insert a pending run and commit it, or raise RunAlreadyActive with the run in the way.

    `retry_of` is (run id, attempt) of the run this one retries: plain values, because the
    rollback after a lost race expires every loaded object (an async lazy load then fails with
    MissingGreenlet)."""
    retry_id, attempt = (retry_of[0], retry_of[1] + 1) if retry_of else (None, 1)
    while True:
        try:
            return await _insert_run(session, shop_id, resource, trigger, params or {}, retry_id, attempt)
        except _RaceLost:
            continue  # the other run finished in between: try once more


class _RaceLost(Exception):
    """The active run that blocked the insert had finished by the time we looked."""


async def _insert_run(
    session: AsyncSession, shop_id: int, resource: str, trigger: str, params: dict[str, Any],
    retry_id: int | None, attempt: int,
) -> SnapshotRun:
    requested_at = datetime.now(UTC)
    run = SnapshotRun(
        shop_id=shop_id,
        resource=resource,
        workflow_id=workflow_id_for(shop_id, resource, requested_at),
        status="pending",
        trigger=trigger,
        params=params,
        requested_at=requested_at,
        retry_of=retry_id,
        attempt=attempt,
    )
    session.add(run)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        existing = await active_run(session, shop_id, resource)
        if existing is None:
            raise _RaceLost from None
        raise RunAlreadyActive(existing) from None
    return run


async def close_active_run(session: AsyncSession, run_id: int, status: str, error: str) -> bool:
    """Close a run that is still pending or running and commit; False when its workflow already
    wrote a final state (that state wins, so a late check never overwrites a real outcome)."""
    result = await session.execute(
        update(SnapshotRun)
        .where(SnapshotRun.id == run_id, SnapshotRun.status.in_(ACTIVE))
        .values(status=status, error=error, finished_at=datetime.now(UTC), eta_seconds=None)
    )
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]
